package emulator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// ErrUsage marks the errors of Command that are mistakes on its command line (an unknown flag, a flag value that
// does not parse, an extra argument), so that the sluice command can exit with its usage code.
var ErrUsage = errors.New("invalid command line")

// ErrTables marks the errors of Start that are mistakes in the tables
// (Options.TablesFile or Options.Tables): the tables file could not be read,
// or does not fit the standard tables.
var ErrTables = errors.New("invalid tables")

type tablesError struct{ error }

func (e tablesError) Is(target error) bool { return target == ErrTables }
func (e tablesError) Unwrap() error        { return e.error }

// ErrReported marks the usage errors that Command has already written to its stderr: a flag that does not
// parse, which the flag package prints above the usage text.
var ErrReported = errors.New("already reported")

type reportedError struct{ error }

func (e reportedError) Is(target error) bool { return target == ErrReported }
func (e reportedError) Unwrap() error        { return e.error }

// usageError wraps err so that errors.Is(err, ErrUsage) holds, keeping err's message.
type usageError struct{ err error }

func (e usageError) Error() string        { return e.err.Error() }
func (e usageError) Unwrap() error        { return e.err }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// Command implements "sluice emulator dynamics": it starts an emulator from command-line flags, prints shell
// export lines for the environment's URL and credentials (and writes them to --env-file), and serves until ctx is
// cancelled.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sluice emulator dynamics", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a generated CA (needed by MSAL); prints DATAVERSE_CA_FILE")
	tables := fs.String("tables", "", "tables file (HCL) with alternate keys, extra columns and custom tables")
	seed := fs.String("seed", "", "seed file (JSON) of records to start with (see docs/emulator.md)")
	data := fs.String("data", "", "directory that keeps records and credentials across restarts (default: in memory)")
	limits := fs.String("limits", "", `service protection limits, e.g. "requests=200,window=10s,time=40s,concurrent=16,dop=8", or "off" (default: 6000 requests and 1200s per 300s, 52 concurrent)`)
	faults := fs.String("faults", "", `faults to inject, e.g. "throttle:rate=5%,retry-after=2s;503:rate=2%;reset:rate=1%;record:table=contact,column=emailaddress1,value=bad@example.com"`)
	cost := fs.String("cost", "", `simulated server time, e.g. "request=20ms,record=1ms" (default: none)`)
	envFile := fs.String("env-file", "", "also write the export lines to this file once listening")
	logDest := fs.String("log", "", `request log destination: a file path, or "-" for stderr (JSON lines)`)
	tenant := fs.String("tenant-id", "", "tenant id (default: generated, or kept in --data)")
	clientID := fs.String("client-id", "", "client id of the application user (default: generated, or kept in --data)")
	clientSecret := fs.String("client-secret", "", "client secret (default: generated, or kept in --data)")
	verbose := fs.Bool("v", false, "log the emulator's own messages to stderr")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: sluice emulator dynamics [flags]

Runs a local Dataverse (Dynamics 365) Web API emulator: an OAuth token endpoint, the Web API at
<url>/api/data/v9.2/ with contact, account, lead, task, systemuser and team, $batch, bulk actions, change
tracking and service protection limits. It prints export lines for DATAVERSE_URL, DATAVERSE_TENANT_ID,
DATAVERSE_CLIENT_ID, DATAVERSE_CLIENT_SECRET, DATAVERSE_AUTHORITY, DATAVERSE_TOKEN (valid 12 hours) and,
with --tls, DATAVERSE_CA_FILE, then serves until interrupted. Inspect tables with
curl <url>/_emulator/tables. See docs/emulator.md.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{reportedError{err}}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	opts := Options{Addr: *addr, TLS: *useTLS, TablesFile: *tables, DataDir: *data, TenantID: *tenant, ClientID: *clientID, ClientSecret: *clientSecret}
	var err error
	if opts.Limits, err = ParseLimits(*limits); err != nil {
		return usageError{err}
	}
	if opts.Faults, err = ParseFaults(*faults); err != nil {
		return usageError{err}
	}
	if opts.Cost, err = ParseCost(*cost); err != nil {
		return usageError{err}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	switch *logDest {
	case "":
	case "-":
		opts.RequestLog = stderr
	default:
		f, err := os.OpenFile(*logDest, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open request log: %w", err)
		}
		defer f.Close()
		opts.RequestLog = f
	}
	srv, err := Start(ctx, opts)
	if errors.Is(err, ErrTables) {
		return usageError{err} // the --tables file is part of the command line, as a pipeline file is
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	if *seed != "" {
		if _, err := srv.SeedFile(ctx, *seed); err != nil {
			return err
		}
	}
	lines := srv.EnvLines()
	if _, err := io.WriteString(stdout, lines); err != nil {
		return fmt.Errorf("write export lines: %w", err)
	}
	if *envFile != "" {
		if err := os.WriteFile(*envFile, []byte(lines), 0o600); err != nil {
			return fmt.Errorf("write env file: %w", err)
		}
	}
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	return nil
}

// EnvLines returns the shell export lines that point a client at this emulator.
func (s *Server) EnvLines() string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v)) }
	line("DATAVERSE_URL", s.URL())
	line("DATAVERSE_TENANT_ID", s.TenantID)
	line("DATAVERSE_CLIENT_ID", s.ClientID)
	line("DATAVERSE_CLIENT_SECRET", s.ClientSecret)
	line("DATAVERSE_AUTHORITY", s.Authority())
	line("DATAVERSE_TOKEN", s.Token())
	if s.CAFile() != "" {
		line("DATAVERSE_CA_FILE", s.CAFile())
	}
	return b.String()
}

// shellQuote quotes a value for POSIX shells when it needs it.
func shellQuote(v string) string {
	safe := true
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r)) {
			safe = false
			break
		}
	}
	if safe && v != "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
