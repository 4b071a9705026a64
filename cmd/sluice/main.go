// Command sluice runs, validates and documents Sluice pipelines.
//
// Usage:
//
//	sluice run <file|dir> [--var name=value]… [--var-file path]… [--json]
//	sluice validate <file|dir> [--online] [--var …]
//	sluice check <file|dir> [--var …]
//	sluice plan <file|dir> [--out plan.jsonl|plan.parquet] [--var …]
//	sluice test-mapping <file|dir> [--sink name] [--var …]
//	sluice plugins list [--pipeline <file|dir>]
//	sluice plugins describe <name> [--pipeline <file|dir>]
//	sluice runs <file|dir>
//	sluice state show|reset <file|dir>
//	sluice functions
//	sluice emulator dynamics [flags]
//	sluice version
//
// Exit codes: 0 success; 1 the run failed; 2 the command line or the
// pipeline is invalid (diagnostics are printed); 130 interrupted (Ctrl-C),
// after reporting what was written.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version = ""

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// Most of a pipeline's heap is Arrow buffers that become garbage as soon as a
// batch is written, so the default headroom of 100% mostly holds dead
// batches: 50% keeps peak memory near the live data for a few percent of CPU
// (see docs/benchmarks.md).
const gcPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// cli carries what every command needs.
type cli struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run dispatches the command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.usage()
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "run":
		err = c.runCmd(rest)
	case "validate":
		err = c.validateCmd(rest)
	case "check":
		err = c.checkCmd(rest)
	case "plan":
		err = c.planCmd(rest)
	case "test-mapping":
		err = c.testMappingCmd(rest)
	case "plugins":
		err = c.pluginsCmd(rest)
	case "functions":
		err = c.functionsCmd(rest)
	case "emulator":
		err = c.emulatorCmd(rest)
	case "runs":
		err = c.runsCmd(rest)
	case "state":
		err = c.stateCmd(rest)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "sluice", versionString())
		return exitOK
	case "help", "-h", "--help":
		c.usage()
		return exitOK
	default:
		fmt.Fprintf(stderr, "sluice: unknown command %q\n\n", cmd)
		c.usage()
		return exitUsage
	}
	return exitCode(err, stderr)
}

// exitError carries an exit code; its message, if any, has not been printed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode prints err, if it has a message not yet printed, and returns the
// exit code it stands for.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "sluice:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "sluice:", err)
	return exitFailed
}

func (c *cli) usage() {
	fmt.Fprint(c.stderr, `Sluice moves data through pipelines written in HCL.

Usage:
  sluice run <file|dir>            run a pipeline and print a summary
  sluice validate <file|dir>       check a pipeline without moving data
  sluice check <file|dir>          test each sink's connection (token, service,
                                   table) and say what to fix
  sluice plan <file|dir>           show what a run would do, row by row, without
                                   writing anything
  sluice test-mapping <file|dir>   write one row (the first the plan would create
                                   a record from) as a new record, read it back,
                                   delete it, and show what did not round-trip
  sluice plugins list              list the available plugins (--pipeline adds
                                   the external plugins a pipeline declares)
  sluice plugins describe <name>   show a plugin's configuration
  sluice runs <file|dir>           show a pipeline's run history
  sluice state show|reset <file|dir>  show or forget what a pipeline remembers between runs
  sluice functions                 list the functions of row expressions
  sluice emulator dynamics         run a local Dataverse Web API emulator
  sluice version                   print the version

Run 'sluice <command> -h' for a command's flags.
`)
}

func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
