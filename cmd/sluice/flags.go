package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sluicedata/sluice/engine"
)

// newFlags returns a flag set for a command that prints its usage to w.
func newFlags(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: sluice %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may come before or after the positional
// arguments, as in `sluice run pipeline.hcl --var a=b`, and returns the
// positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, &exitError{code: exitOK}
			}
			return nil, &exitError{code: exitUsage}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// inputFlags are the flags that give pipeline variables values.
type inputFlags struct {
	vars, varFiles listFlag
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.vars, "var", "set a variable: `name=value` (repeatable)")
	fs.Var(&f.varFiles, "var-file", "read variables from a file of name = value lines (repeatable)")
}

// pipelineFlags returns the flag set of a command that reads a pipeline,
// with --var and --var-file declared on it, and what those flags collect.
// Every such command takes them, so a pipeline's variables are given the
// same way whatever the command.
func pipelineFlags(name, usage string, w io.Writer) (*flag.FlagSet, *inputFlags) {
	fs := newFlags(name, usage, w)
	in := new(inputFlags)
	in.register(fs)
	return fs, in
}

func (f *inputFlags) inputs() engine.Inputs {
	return engine.Inputs{Vars: f.vars, VarFiles: f.varFiles}
}

// parsePath parses the command line of a command that takes one pipeline
// (see parse) and returns the pipeline's path.
func parsePath(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", err
	}
	return onePath(pos, fs)
}

// onePath checks that exactly one pipeline path was given.
func onePath(args []string, fs *flag.FlagSet) (string, error) {
	if len(args) != 1 {
		fs.Usage()
		return "", usageError("expected one pipeline file or directory, got %d arguments", len(args))
	}
	return args[0], nil
}
