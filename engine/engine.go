package engine

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"

	"github.com/sluicedata/sluice/engine/config"
	"github.com/sluicedata/sluice/engine/plan"
	"github.com/sluicedata/sluice/engine/redact"
	"github.com/sluicedata/sluice/engine/registry"
	"github.com/sluicedata/sluice/engine/runtime"
	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/sdk"
)

// Inputs are the values given for a pipeline's variables: --var arguments,
// --var-file paths and the environment.
type Inputs = config.Inputs

// Stats describe a run; NodeStats one node of it; Status how it ended.
type (
	Stats     = runtime.Stats
	NodeStats = runtime.NodeStats
	Status    = runtime.Status
)

// Run statuses.
const (
	StatusSucceeded   = runtime.StatusSucceeded
	StatusInterrupted = runtime.StatusInterrupted
	StatusFailed      = runtime.StatusFailed
)

// Engine loads and runs pipelines with a set of plugins.
type Engine struct {
	registry *registry.Registry
	logger   *slog.Logger
	alloc    memory.Allocator
	// hangTimeout is how long an external plugin may stop answering.
	hangTimeout time.Duration
}

// Option configures an Engine.
type Option func(*Engine) error

// WithPlugins makes plugins available to pipelines.
func WithPlugins(plugins ...sdk.Plugin) Option {
	return func(e *Engine) error {
		for _, p := range plugins {
			if err := e.registry.Add(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// WithLogger sets the logger of the engine and its plugins. Its output is
// redacted. By default nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(e *Engine) error { e.logger = l; return nil }
}

// WithAllocator sets the allocator of every Arrow array. Tests use a checked
// allocator to find leaks.
func WithAllocator(a memory.Allocator) Option {
	return func(e *Engine) error { e.alloc = a; return nil }
}

// New returns an engine.
func New(opts ...Option) (*Engine, error) {
	reg, _ := registry.New()
	e := &Engine{registry: reg, logger: slog.New(slog.DiscardHandler), alloc: memory.DefaultAllocator}
	for _, opt := range opts {
		if err := opt(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Plugins returns the plugins the engine offers, sorted by kind and name.
func (e *Engine) Plugins() []sdk.Plugin { return e.registry.All() }

// Plugin returns the plugin of a kind and name.
func (e *Engine) Plugin(kind sdk.Kind, name string) (sdk.Plugin, bool) {
	return e.registry.Lookup(kind, name)
}

// Pipeline is a loaded pipeline.
type Pipeline struct {
	engine   *Engine
	config   *config.Pipeline
	redactor *redact.Redactor
	// loadDiags are the mistakes found while loading, reported with the
	// planner's; warnings are those of the last Validate or Run.
	loadDiags hcl.Diagnostics
	warnings  hcl.Diagnostics
	// memState is the state of a pipeline that keeps it in memory.
	memStateOnce sync.Once
	memState     state.Store
}

// Load reads the pipeline at path — a file, or a directory whose .hcl files
// form one pipeline — and evaluates its variables. It fails, with a
// *Diagnostics error, only when the files cannot be read or parsed; every
// other mistake is reported, together with those found in the plugins'
// configuration, by Validate and Run, so that one pass reports them all.
func (e *Engine) Load(path string, in Inputs) (*Pipeline, error) {
	cfg, diags := config.Load(path, in)
	return e.loaded(cfg, diags)
}

// Parse is Load for pipeline files held in memory, keyed by file name.
func (e *Engine) Parse(sources map[string][]byte, in Inputs) (*Pipeline, error) {
	cfg, diags := config.Parse(sources, in)
	return e.loaded(cfg, diags)
}

func (e *Engine) loaded(cfg *config.Pipeline, diags hcl.Diagnostics) (*Pipeline, error) {
	p := &Pipeline{engine: e, config: cfg, redactor: redact.New(), loadDiags: diags}
	if cfg == nil || cfg.Unparsed {
		return nil, p.diagnostics(diags)
	}
	p.redactor.Add(cfg.SensitiveValues()...)
	return p, nil
}

// Dir is the directory the pipeline was loaded from.
func (p *Pipeline) Dir() string { return p.config.Dir }

// Redact removes the pipeline's secrets from s.
func (p *Pipeline) Redact(s string) string { return p.redactor.String(s) }

// Warnings returns the warnings found so far by Load, Validate and Run.
func (p *Pipeline) Warnings() *Diagnostics {
	return &Diagnostics{diags: p.warnings, files: p.config.Files, redactor: p.redactor}
}

// ValidateOptions configure Validate.
type ValidateOptions struct {
	// Online also connects every sink to its destination, to check the
	// configuration against it (a Dynamics table's columns, say).
	Online bool
}

// Validate checks the whole pipeline without moving data: plugins and their
// configuration, references, schemas from source to sink, and every
// expression against the schema it will see. Mistakes are returned as a
// *Diagnostics error.
func (p *Pipeline) Validate(ctx context.Context, opts ValidateOptions) error {
	pl, stop, err := p.plan(ctx, !opts.Online)
	if err != nil {
		return err
	}
	defer stop()
	return p.redactor.Error(pl.Close(ctx))
}

// RunOptions configure Run.
type RunOptions struct {
	// Progress, when set, is called with the run's stats every
	// ProgressInterval (default one second).
	Progress         func(Stats)
	ProgressInterval time.Duration
	// Grace is how long batches already read may take to be written once ctx
	// is cancelled. Default 10 seconds.
	Grace time.Duration
	// Retry governs how rows that a sink reports as failed transiently are
	// written again. The zero value is the default policy.
	Retry RetryPolicy
	// Full makes sinks with a sync block send every row, not only those that
	// changed since the last run.
	Full bool
	// AllowMassDelete lets a sync sink act on more rows that left its input
	// than its sync block's safety rail allows.
	AllowMassDelete bool
}

// RetryPolicy is how often and how patiently rows are written again.
type RetryPolicy = runtime.RetryPolicy

// Run runs the pipeline until its sources are exhausted, it fails, or ctx is
// cancelled, and returns its stats. Cancelling ctx stops reading; batches
// already read are written within the grace period, and the stats say what
// was written. Configuration mistakes are returned as a *Diagnostics error,
// before any data moves.
func (p *Pipeline) Run(ctx context.Context, opts RunOptions) (Stats, error) {
	failed := func(err error) (Stats, error) {
		return Stats{Status: StatusFailed, Error: err.Error()}, err
	}
	// The state store first: its lock keeps a second run of the pipeline
	// from starting anything.
	store, err := p.State(ctx)
	if err != nil {
		return failed(err)
	}
	defer store.Close()
	pl, stop, err := p.plan(ctx, false)
	if err != nil {
		return failed(err)
	}
	defer stop()
	resume, err := p.resumePoints(ctx, pl, store)
	if err != nil {
		pl.Close(context.WithoutCancel(ctx))
		return failed(err)
	}
	runID, err := store.StartRun(ctx, time.Now())
	if err != nil {
		pl.Close(context.WithoutCancel(ctx))
		return failed(err)
	}
	saver := newCheckpointSaver(store, time.Second)
	stats, runErr := runtime.Run(ctx, pl, runtime.Options{
		Allocator:        p.engine.alloc,
		Logger:           p.logger(),
		Redactor:         p.redactor,
		Progress:         opts.Progress,
		ProgressInterval: opts.ProgressInterval,
		Grace:            opts.Grace,
		Retry:            opts.Retry,
		Resume:           resume,
		OnCheckpoint:     saver.commit,
		State:            store,
		FullSync:         opts.Full,
		AllowMassLeave:   opts.AllowMassDelete,
	})
	fail := func(err error) {
		if err != nil && runErr == nil {
			runErr = p.redactor.Error(err)
			stats.Status, stats.Error = StatusFailed, runErr.Error()
		}
	}
	fail(saver.close())
	fail(pl.Close(context.WithoutCancel(ctx)))
	fail(p.endRun(context.WithoutCancel(ctx), pl, store, runID, stats))
	return stats, runErr
}

// plan configures and opens the pipeline's plugins, starting its external
// plugin binaries; stop kills them once the plan is closed.
func (p *Pipeline) plan(ctx context.Context, offline bool) (pl *plan.Plan, stop func(), err error) {
	p.warnings = nil
	reg, stop, diags := p.registry(ctx)
	if err := p.diagnostics(append(slices.Clone(p.loadDiags), diags...)); err != nil && diags.HasErrors() {
		stop()
		return nil, nil, err
	}
	pl, diags = plan.New(ctx, p.config, plan.Options{
		Registry:  reg,
		Offline:   offline,
		Logger:    p.logger(),
		Allocator: p.engine.alloc,
		Redactor:  p.redactor,
	})
	p.warnings = nil
	if err := p.diagnostics(append(slices.Clone(p.loadDiags), diags...)); err != nil {
		if pl != nil {
			pl.Close(context.WithoutCancel(ctx))
		}
		stop()
		return nil, nil, err
	}
	return pl, stop, nil
}

func (p *Pipeline) logger() *slog.Logger {
	return slog.New(p.redactor.Handler(p.engine.logger.Handler()))
}
