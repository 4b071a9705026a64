package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire"
)

// Binary is an external plugin binary, as a pipeline's plugin block pins it.
type Binary struct {
	// Name is the plugin block's label; errors name the binary by it.
	Name string
	// Path is the binary's path.
	Path string
	// SHA256 is the hex SHA-256 the binary must have.
	SHA256 string
}

// LaunchOptions configure Launch.
type LaunchOptions struct {
	// Logger receives go-plugin's messages and the process's log.
	Logger *slog.Logger
	// HangTimeout is how long the process may fail health checks before it
	// is declared hung and killed. Default 5 seconds.
	HangTimeout time.Duration
	// StartTimeout bounds the handshake. Default 20 seconds.
	StartTimeout time.Duration
	// SumCache, when set, is the file where checksums verified are
	// remembered with the binary's file identity, so that a binary
	// unchanged since it was last verified is not read again (sumcache.go
	// says what "unchanged" rests on). Empty: every launch hashes the
	// binary.
	SumCache string
}

// afterVerify, when set (by tests), is called between the binary's
// verification and its start, with its path.
var afterVerify func(path string)

// Process is a running plugin binary.
type Process struct {
	bin     Binary
	label   string
	client  *plugin.Client
	wire    *wire.Client
	plugins []sdk.Plugin
	pid     int

	// killed says why the watchdog killed the process, if it did.
	killed   atomic.Pointer[error]
	stop     chan struct{}
	stopOnce sync.Once
	watching sync.WaitGroup
}

// Launch verifies the binary's checksum (or finds it verified, unchanged,
// in opts.SumCache), starts it with an empty
// environment, performs the handshake and asks it which plugins it serves.
// A checksum mismatch is a *ChecksumError, and nothing is started.
func Launch(ctx context.Context, bin Binary, opts LaunchOptions) (*Process, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HangTimeout <= 0 {
		opts.HangTimeout = 5 * time.Second
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	f, err := verifyOpen(bin.Path, bin.SHA256, opts.SumCache, opts.Logger)
	if err != nil {
		return nil, err
	}
	// The process is started from the verified file, which must stay open
	// until it has been exec'd (fexec_linux.go); the handshake is later.
	defer f.Close()
	if afterVerify != nil {
		afterVerify(bin.Path)
	}
	p := &Process{bin: bin, label: fmt.Sprintf("plugin %q (%s)", bin.Name, bin.Path), stop: make(chan struct{})}
	logger := opts.Logger.With(slog.String("plugin", bin.Name))
	cmd, fdPath := command(f, bin.Path)
	cmd.Env = []string{} // go-plugin adds only what the handshake needs
	hcl := &hclogger{l: logger, label: bin.Name, fdPath: fdPath, path: bin.Path}
	tail := &stderrTail{}
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: wire.Handshake,
		VersionedPlugins: wire.VersionedPlugins(&wire.GRPCPlugin{ClientOpts: wire.ClientOptions{
			Label: p.label, Gone: p.gone,
		}}),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		// No AutoMTLS: go-plugin listens on a Unix socket in a directory
		// only this user can open, and that user could read the plugin's
		// memory anyway. Mutual TLS would cost a key pair per launch and
		// about a tenth of the throughput (docs/benchmarks.md, "External plugins").
		SkipHostEnv:     true,
		StartTimeout:    opts.StartTimeout,
		GRPCDialOptions: wire.GRPCDialOptions(0),
		Logger:          hcl,
		Stderr:          tail,
	})
	rpc, err := p.client.Client()
	if err != nil {
		p.client.Kill()
		// An exec that failed names the file it exec'd: name the binary.
		if pe := (*fs.PathError)(nil); fdPath != "" && errors.As(err, &pe) && pe.Path == fdPath {
			pe.Path = bin.Path
		}
		// go-plugin's negotiation error has no type, and says only the
		// numbers: say what they mean and what to do.
		if strings.Contains(err.Error(), "incompatible API version") {
			return nil, fmt.Errorf("%s: starting: %w: the binary speaks another version of Sluice's plugin protocol than this sluice, which speaks %d; rebuild the plugin with a github.com/sluicedata/sluice/sdk that speaks protocol %d", p.label, err, wire.ProtocolVersion, wire.ProtocolVersion)
		}
		// Kill has waited for go-plugin to read the process's stderr.
		return nil, fmt.Errorf("%s: starting: %w%s", p.label, err, tail.suffix())
	}
	raw, err := rpc.Dispense(wire.PluginSetName)
	if err != nil {
		p.client.Kill()
		return nil, fmt.Errorf("%s: %w", p.label, err)
	}
	p.wire = raw.(*wire.Client)
	if rc := p.client.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
	}
	if p.plugins, err = p.wire.Plugins(ctx); err != nil {
		p.client.Kill()
		return nil, err
	}
	p.watching.Add(1)
	go p.watch(opts.HangTimeout, logger)
	return p, nil
}

// Plugins are the plugins the process serves. They implement sdk.Plugin;
// their instances live in the process.
func (p *Process) Plugins() []sdk.Plugin { return p.plugins }

// Binary is the binary the process runs.
func (p *Process) Binary() Binary { return p.bin }

// Pid is the process id.
func (p *Process) Pid() int { return p.pid }

// Kill ends the process: gracefully if it answers, by force after a couple
// of seconds if not. It is safe to call more than once.
func (p *Process) Kill() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.watching.Wait()
	p.kill()
}

// kill asks go-plugin to end the process, which first asks the process to
// shut down and waits for it without a deadline; a process that does not
// answer gets SIGKILL.
func (p *Process) kill() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.client.Kill()
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		p.forceKill()
		<-done
	}
}

func (p *Process) forceKill() {
	if p.pid <= 0 {
		return
	}
	if proc, err := os.FindProcess(p.pid); err == nil {
		_ = proc.Kill()
	}
}

// gone says why the process is no longer serving, or nil. When a
// connection breaks because the process died, go-plugin may notice the
// exit a moment later, so it waits briefly for it.
func (p *Process) gone() error {
	if why := p.killed.Load(); why != nil {
		return *why
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if p.client.Exited() {
			if why := p.killed.Load(); why != nil {
				return *why
			}
			return errors.New("the plugin process exited unexpectedly (its last log lines, if any, are above)")
		}
	}
	return nil
}

// watch pings the process and kills it when it has not answered for
// timeout: a hung plugin must not hang the pipeline.
func (p *Process) watch(timeout time.Duration, logger *slog.Logger) {
	defer p.watching.Done()
	interval := max(timeout/5, 100*time.Millisecond)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-p.stop:
			return
		case <-ticker.C:
		}
		if p.client.Exited() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		err := p.wire.Ping(ctx)
		cancel()
		if err == nil {
			lastOK = time.Now()
			continue
		}
		if time.Since(lastOK) >= timeout {
			why := fmt.Errorf("the plugin process stopped responding for %s and was killed", timeout.Round(time.Millisecond))
			p.killed.Store(&why)
			logger.Error("killing a plugin process that stopped responding", slog.Int("pid", p.pid), slog.Duration("after", timeout))
			p.forceKill()
			return
		}
	}
}
