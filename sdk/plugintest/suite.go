package plugintest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"go.uber.org/goleak"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire"
)

// Common is what every suite needs.
type Common struct {
	// Plugin is the plugin under test.
	Plugin sdk.Plugin
	// Config is an HCL body, as written inside the plugin's block, that
	// must decode and build an instance. The cases use it.
	Config string
	// BadConfigs are bodies that must be rejected.
	BadConfigs []BadConfig
	// Skip maps case names ("Lifecycle/CloseTwice") to the reason they do
	// not apply. The reason is required.
	Skip map[string]string
	// GoleakOptions are passed to goleak, for plugins whose libraries keep
	// goroutines of their own.
	GoleakOptions []goleak.Option
}

// BadConfig is a configuration the plugin must reject.
type BadConfig struct {
	HCL string
	// Path, when set, is where the plugin must say the mistake is. Mistakes
	// the schema catches (an unknown or missing attribute, a wrong type) are
	// reported by the engine at their source range and have no path.
	Path sdk.Path
}

// Mode is how a case reaches the plugin.
type Mode string

// The two modes every case runs in.
const (
	InProcess Mode = "in-process"
	GRPC      Mode = "grpc"
)

// Env is what a case works with: the plugin as the engine would see it in
// one mode, and a Host backed by a checked allocator.
type Env struct {
	T      *testing.T
	Mode   Mode
	Plugin sdk.Plugin
	Host   *Host
	Ctx    context.Context
}

// Host is the Host the suite lends plugins.
type Host struct {
	Mem       *memory.CheckedAllocator
	Log       *slog.Logger
	IsOffline bool
}

func (h *Host) Logger() *slog.Logger        { return h.Log }
func (h *Host) Allocator() memory.Allocator { return h.Mem }
func (h *Host) Offline() bool               { return h.IsOffline }

// run runs body as the case name in both modes, after checking the skip
// list, and checks for leaked memory and goroutines after each.
func (c *Common) run(t *testing.T, name string, body func(e *Env)) {
	t.Helper()
	if c.Plugin == nil {
		t.Fatal("plugintest: the suite has no Plugin")
	}
	for _, mode := range []Mode{InProcess, GRPC} {
		t.Run(string(mode)+"/"+name, func(t *testing.T) {
			if reason, skip := c.Skip[name]; skip {
				if reason == "" {
					t.Fatalf("plugintest: skipping %s needs a reason", name)
				}
				t.Skipf("skipped: %s", reason)
			}
			opts := append([]goleak.Option{goleak.IgnoreCurrent()}, c.GoleakOptions...)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			host := &Host{Mem: mem, Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
			e := &Env{T: t, Mode: mode, Host: host, Ctx: context.Background()}
			stop := func() {}
			switch mode {
			case InProcess:
				e.Plugin = c.Plugin
			case GRPC:
				e.Plugin, stop = remote(t, c.Plugin, host)
			}
			func() {
				defer stop()
				body(e)
			}()
			if !t.Failed() {
				checkLeaks(t, mem, opts)
			}
		})
	}
}

// checkLeaks fails a case that left Arrow memory allocated or goroutines
// running: in a long-lived engine, what leaks once per batch or per run
// adds up.
func checkLeaks(t *testing.T, mem *memory.CheckedAllocator, opts []goleak.Option) {
	t.Helper()
	if n := mem.CurrentAlloc(); n != 0 {
		t.Errorf("leaked Arrow memory: %d bytes allocated from the Host's allocator during the case were not released by its end; release every array and batch built, and every one retained", n)
		mem.AssertSize(t, 0) // says where each block was allocated
	}
	if err := goleak.Find(opts...); err != nil {
		t.Errorf("leaked goroutines: goroutines started during the case still run after it; a plugin must end the goroutines it starts by Close (GoleakOptions ignores those a library keeps)\n%v", err)
	}
}

// remote serves p over an in-memory gRPC connection and returns the client's
// view of it.
func remote(t *testing.T, p sdk.Plugin, host *Host) (sdk.Plugin, func()) {
	t.Helper()
	c, stop, err := wire.Pipe([]sdk.Plugin{p}, wire.ServerOptions{Allocator: host.Mem, Logger: host.Log}, wire.ClientOptions{Label: fmt.Sprintf("plugin %q (in-memory gRPC)", p.Info().Name)})
	if err != nil {
		t.Fatal(err)
	}
	plugins, err := c.Plugins(context.Background())
	if err != nil {
		stop()
		t.Fatal(err)
	}
	for _, rp := range plugins {
		if rp.Kind() == p.Kind() && rp.Info().Name == p.Info().Name {
			return rp, stop
		}
	}
	stop()
	t.Fatalf("the server does not offer %s %q", p.Kind(), p.Info().Name)
	return nil, nil
}

// Decode decodes an HCL body through the plugin's declared schema, as the
// engine does.
func (e *Env) Decode(src string) (cty.Value, error) {
	f, diags := hclsyntax.ParseConfig([]byte(src), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	v, diags := e.Plugin.Schema().DecodeBody(f.Body, nil)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return v, nil
}

// New decodes src and builds an instance.
func (e *Env) New(src string) (any, error) {
	v, err := e.Decode(src)
	if err != nil {
		return nil, err
	}
	return e.Plugin.New(e.Ctx, v)
}

// MustNew is New that fails the test on error.
func (e *Env) MustNew(src string) any {
	e.T.Helper()
	inst, err := e.New(src)
	if err != nil {
		e.T.Fatalf("configuration %q: %v", src, err)
	}
	return inst
}

// commonCases are the configuration and lifecycle cases of every kind;
// open opens an instance as its kind requires.
func (c *Common) commonCases(t *testing.T, open func(e *Env, ctx context.Context, inst any) error) {
	c.run(t, "Config/Good", func(e *Env) {
		inst := e.MustNew(c.Config)
		if k := kindOf(inst); k != e.Plugin.Kind() {
			t.Errorf("the %s plugin built a %T", e.Plugin.Kind(), inst)
		}
		closeInst(e, inst)
	})
	c.run(t, "Config/Bad", func(e *Env) {
		if len(c.BadConfigs) == 0 {
			e.T.Skip("skipped: the suite lists no BadConfigs")
		}
		for _, bad := range c.BadConfigs {
			inst, err := e.New(bad.HCL)
			if err == nil {
				closeInst(e, inst)
				e.T.Errorf("configuration %q was accepted", bad.HCL)
				continue
			}
			if bad.Path == nil {
				continue
			}
			found := false
			for _, d := range sdk.AsDiagnostics(err) {
				found = found || d.Path.String() == bad.Path.String()
			}
			if !found {
				e.T.Errorf("configuration %q: got %v, want a diagnostic at %s", bad.HCL, err, bad.Path)
			}
		}
	})
	c.run(t, "Lifecycle/OpenClose", func(e *Env) {
		inst := e.MustNew(c.Config)
		if err := open(e, e.Ctx, inst); err != nil {
			e.T.Fatalf("open: %v", err)
		}
		if err := closeErr(e, inst); err != nil {
			e.T.Errorf("close: %v", err)
		}
	})
	c.run(t, "Lifecycle/CloseTwice", func(e *Env) {
		inst := e.MustNew(c.Config)
		if err := open(e, e.Ctx, inst); err != nil {
			e.T.Fatalf("open: %v", err)
		}
		if err := closeErr(e, inst); err != nil {
			e.T.Errorf("close: %v", err)
		}
		if err := closeErr(e, inst); err != nil {
			e.T.Errorf("second close: %v", err)
		}
	})
	c.run(t, "Lifecycle/CloseWithoutOpen", func(e *Env) {
		inst := e.MustNew(c.Config)
		if err := closeErr(e, inst); err != nil {
			e.T.Errorf("close without open: %v", err)
		}
	})
	c.run(t, "Lifecycle/CancelDuringOpen", func(e *Env) {
		inst := e.MustNew(c.Config)
		ctx, cancel := context.WithCancel(e.Ctx)
		cancel()
		done := make(chan error, 1)
		go func() { done <- open(e, ctx, inst) }()
		select {
		case <-done: // an error or not: either is fine, promptly
		case <-timeout():
			e.T.Fatal("Open with a cancelled context did not return within 5 seconds")
		}
		if err := closeErr(e, inst); err != nil {
			e.T.Errorf("close after a cancelled open: %v", err)
		}
	})
}

func kindOf(inst any) sdk.Kind {
	switch inst.(type) {
	case sdk.Source:
		return sdk.KindSource
	case sdk.Transform:
		return sdk.KindTransform
	case sdk.Sink:
		return sdk.KindSink
	}
	return ""
}

func closeErr(e *Env, inst any) error {
	switch v := inst.(type) {
	case sdk.Source:
		return v.Close(e.Ctx)
	case sdk.Transform:
		return v.Close(e.Ctx)
	case sdk.Sink:
		return v.Close(e.Ctx)
	}
	return fmt.Errorf("%T is no plugin instance", inst)
}

func closeInst(e *Env, inst any) {
	e.T.Helper()
	if err := closeErr(e, inst); err != nil {
		e.T.Errorf("close: %v", err)
	}
}
