package plugintest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	// CancelTimeout is how long a call may take to return once its
	// context is cancelled; over gRPC it bounds the plugin's side of the
	// call too, and of every call still running when a case ends and the
	// connection closes. Default 5 seconds. A plugin that must finish
	// something it cannot interrupt may raise it; the suite's own tests
	// lower it.
	CancelTimeout time.Duration
}

// DefaultCancelTimeout is Common.CancelTimeout when it is not set.
const DefaultCancelTimeout = 5 * time.Second

// openGrace is how long Lifecycle/CancelDuringOpen lets Open run before
// cancelling it: long enough for an Open that waits on something to be
// waiting, short enough to keep the case fast. An Open that returns
// sooner is not cancelled while it runs.
const openGrace = 20 * time.Millisecond

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

	// cancelTimeout is Common.CancelTimeout, defaulted.
	cancelTimeout time.Duration
	// calls are the calls the plugin's side of the wire is in; nil in
	// process.
	calls *calls
}

// deadline fires when a call cancelled now has had its time to return.
func (e *Env) deadline() <-chan time.Time { return time.After(e.cancelTimeout) }

// pluginReturned waits, over gRPC, for the plugin's side of call to
// return, for at most the cancel timeout: the engine's side of a call
// returns as soon as its context is cancelled, whatever the plugin does,
// so only the plugin's side tells whether the plugin heeds its context.
func (e *Env) pluginReturned(call string) {
	e.T.Helper()
	if e.calls == nil {
		return
	}
	if e.calls.wait(e.cancelTimeout, call) != nil {
		e.T.Fatalf("over gRPC, the plugin's %s had not returned %s after its context was cancelled (the engine's side returned at once): it must return promptly once its context is cancelled", call, e.cancelTimeout)
	}
}

// calls counts the calls into a plugin served over gRPC that have not
// returned on the plugin's side, by name (wire.ServerOptions.Running).
type calls struct {
	mu      sync.Mutex
	running map[string]int
	changed chan struct{} // closed at each change, then replaced
}

func newCalls() *calls {
	return &calls{running: map[string]int{}, changed: make(chan struct{})}
}

func (c *calls) start(call string) (done func()) {
	c.update(call, 1)
	var once sync.Once
	return func() { once.Do(func() { c.update(call, -1) }) }
}

func (c *calls) update(call string, by int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running[call] += by
	if c.running[call] == 0 {
		delete(c.running, call)
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait waits up to d for the calls named (all, when none is) to have
// returned, and returns those still running.
func (c *calls) wait(d time.Duration, names ...string) []string {
	end := time.After(d)
	for {
		c.mu.Lock()
		var left []string
		for call := range c.running {
			if len(names) == 0 || slices.Contains(names, call) {
				left = append(left, call)
			}
		}
		changed := c.changed
		c.mu.Unlock()
		if len(left) == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-end:
			slices.Sort(left)
			return left
		}
	}
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
			e := &Env{T: t, Mode: mode, Host: host, Ctx: context.Background(), cancelTimeout: c.CancelTimeout}
			if e.cancelTimeout <= 0 {
				e.cancelTimeout = DefaultCancelTimeout
			}
			stop := func() {}
			switch mode {
			case InProcess:
				e.Plugin = c.Plugin
			case GRPC:
				e.calls = newCalls()
				e.Plugin, stop = remote(t, c.Plugin, host, e.calls)
			}
			func() {
				defer e.stop(stop)
				body(e)
			}()
			if !t.Failed() {
				checkLeaks(t, mem, opts)
			}
		})
	}
}

// stop stops the in-memory connection of a gRPC case, which cancels the
// context of every call still running, and waits for the plugin's side of
// them to return, for at most the cancel timeout.
func (e *Env) stop(stop func()) {
	if e.calls == nil {
		stop()
		return
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		stop()
	}()
	select {
	case <-stopped:
	case <-e.deadline():
		// The server waits for the calls; so would this, for ever.
		e.T.Errorf("over gRPC, the plugin was still in %s %s after the case ended and the connection closed, cancelling every call's context: a call must return promptly once its context is cancelled",
			strings.Join(e.calls.wait(0), ", "), e.cancelTimeout)
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
// view of it; calls counts the calls into p.
func remote(t *testing.T, p sdk.Plugin, host *Host, calls *calls) (sdk.Plugin, func()) {
	t.Helper()
	srv := wire.ServerOptions{Allocator: host.Mem, Logger: host.Log, Running: calls.start}
	c, stop, err := wire.Pipe([]sdk.Plugin{p}, srv, wire.ClientOptions{Label: fmt.Sprintf("plugin %q (in-memory gRPC)", p.Info().Name)})
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
		// A context cancelled before Open: an error or not, either is
		// fine, promptly.
		inst := e.MustNew(c.Config)
		ctx, cancel := context.WithCancel(e.Ctx)
		cancel()
		done := make(chan error, 1)
		go func() { done <- open(e, ctx, inst) }()
		select {
		case <-done:
		case <-e.deadline():
			e.T.Fatalf("Open with a cancelled context did not return within %s", e.cancelTimeout)
		}
		e.pluginReturned("Open")
		if err := closeErr(e, inst); err != nil {
			e.T.Errorf("close after a cancelled open: %v", err)
		}

		// A context cancelled while Open runs, as when a run is stopped
		// while a source connects: Open must give up promptly, and fail.
		inst = e.MustNew(c.Config)
		ctx, cancel = context.WithCancel(e.Ctx)
		defer cancel()
		type opened struct {
			err       error
			cancelled bool // the context was cancelled when Open returned
		}
		res := make(chan opened, 1)
		go func() {
			err := open(e, ctx, inst)
			res <- opened{err: err, cancelled: ctx.Err() != nil}
		}()
		var got opened
		select {
		case got = <-res: // it returned before it could be cancelled
		case <-time.After(openGrace):
			cancel()
			select {
			case got = <-res:
			case <-e.deadline():
				e.T.Fatalf("Open did not return within %s of its context being cancelled while it ran: it must give up promptly", e.cancelTimeout)
			}
		}
		if got.cancelled && got.err == nil {
			e.T.Errorf("Open returned no error when its context was cancelled while it ran: it must fail, not leave the instance half open")
		}
		e.pluginReturned("Open")
		if err := closeErr(e, inst); err != nil {
			e.T.Errorf("close after a cancelled open: %v", err)
		}
	})
	c.run(t, "Lifecycle/Claims", func(e *Env) {
		// What an instance says of itself through optional interfaces
		// decides what the engine does with it: whether a run resumes
		// from its checkpoint (sdk.Idempotent, sdk.Incremental), whether
		// a failed run's output is discarded (sdk.Aborter). Over gRPC the
		// engine sees the claims the wire carries, so they must be what
		// the plugin says in process; in process, a second instance of
		// the configuration must say what the first does, since the
		// engine asks the instance of each run.
		v, err := e.Decode(c.Config)
		if err != nil {
			e.T.Fatalf("configuration %q: %v", c.Config, err)
		}
		claimsOf := func(p sdk.Plugin) (afterNew, afterOpen []string) {
			inst, err := p.New(e.Ctx, v)
			if err != nil {
				e.T.Fatalf("configuration %q: %v", c.Config, err)
			}
			defer closeInst(e, inst)
			afterNew = claims(inst, false)
			if err := open(e, e.Ctx, inst); err != nil {
				e.T.Fatalf("open: %v", err)
			}
			return afterNew, claims(inst, true)
		}
		wantNew, wantOpen := claimsOf(c.Plugin)
		gotNew, gotOpen := claimsOf(e.Plugin)
		seen := "a second instance in process"
		if e.Mode == GRPC {
			seen = "the engine over gRPC"
			for _, name := range notCarried(e, c.Plugin, v) {
				e.T.Logf("the plugin's instance implements %s, which does not cross the wire: the engine does not see it out of process", name)
			}
		}
		if !slices.Equal(gotNew, wantNew) {
			e.T.Errorf("after New, %s sees claims %q, where the instance in process makes %q: a claim must be a fact of the configuration", seen, gotNew, wantNew)
		}
		if !slices.Equal(gotOpen, wantOpen) {
			e.T.Errorf("after Open, %s sees claims %q, where the instance in process makes %q: a claim must be a fact of the configuration and of what Open found", seen, gotOpen, wantOpen)
		}
	})
}

// claims lists what an instance claims through the optional interfaces the
// engine asks and the wire carries: those whose answer is a bool, when it
// answers true, those whose presence matters, when it implements them, and
// once opened, when the engine asks, what a syncing sink says of its keys.
func claims(inst any, opened bool) []string {
	var out []string
	if i, ok := inst.(sdk.Idempotent); ok && i.Idempotent() {
		out = append(out, "sdk.Idempotent")
	}
	if i, ok := inst.(sdk.Incremental); ok && i.Incremental() {
		out = append(out, "sdk.Incremental")
	}
	if _, ok := inst.(sdk.Aborter); ok {
		out = append(out, "sdk.Aborter")
	}
	if _, ok := inst.(sdk.Flusher); ok {
		out = append(out, "sdk.Flusher")
	}
	if _, ok := inst.(sdk.MemoryReporter); ok {
		out = append(out, "sdk.MemoryReporter")
	}
	if y, ok := inst.(sdk.Syncer); ok {
		out = append(out, "sdk.Syncer")
		if opened {
			out = append(out, fmt.Sprintf("KeyColumns %q", y.KeyColumns()))
		}
	}
	if k, ok := inst.(sdk.KeylessSyncer); ok && opened {
		if why := k.KeylessReason(); why != "" {
			out = append(out, fmt.Sprintf("KeylessReason %q", why))
		}
	}
	if l, ok := inst.(sdk.LeaveLimiter); ok && opened {
		for _, a := range []sdk.LeaveAction{sdk.LeaveClear, sdk.LeaveDeactivate, sdk.LeaveDelete} {
			if why := l.LeaveUnsupported(a); why != "" {
				out = append(out, fmt.Sprintf("LeaveUnsupported(%s) %q", a, why))
			}
		}
	}
	return out
}

// notCarried lists the optional interfaces the engine asks for that an
// instance of p implements and the wire does not carry.
func notCarried(e *Env, p sdk.Plugin, v cty.Value) []string {
	inst, err := p.New(e.Ctx, v)
	if err != nil {
		return nil
	}
	defer closeInst(e, inst)
	var out []string
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"sdk.Checker", is[sdk.Checker](inst)},
		{"sdk.Planner", is[sdk.Planner](inst)},
		{"sdk.MappingTester", is[sdk.MappingTester](inst)},
	} {
		if c.ok {
			out = append(out, c.name)
		}
	}
	return out
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
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
