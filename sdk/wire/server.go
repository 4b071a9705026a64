package wire

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// ServerOptions configure the plugin side.
type ServerOptions struct {
	// Logger receives the plugins' logs. In a plugin process it writes to
	// stderr, which go-plugin forwards to the engine's log.
	Logger *slog.Logger
	// Allocator allocates the plugins' Arrow memory; tests pass a checked
	// allocator.
	Allocator memory.Allocator
	// MaxMessageBytes is the size above which batches are split. Default
	// DefaultMaxMessageBytes.
	MaxMessageBytes int
	// Running, when set, is called as each call into the plugins starts,
	// with the name of the call ("Open", "Process"), and the function it
	// returns once the call has returned on this side. The engine's side
	// of a call returns as soon as its context is cancelled, whatever the
	// plugin does; sdk/plugintest uses this to see that the plugin's side
	// returns too.
	Running func(call string) (done func())
}

func (o *ServerOptions) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Allocator == nil {
		o.Allocator = memory.NewGoAllocator()
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
}

// Server serves plugins over the wire protocol: the plugin side of it.
type Server struct {
	pb.UnimplementedPluginServer
	opts    ServerOptions
	plugins []sdk.Plugin

	mu        sync.Mutex
	next      uint64
	instances map[uint64]*instance
}

// instance is a plugin instance the engine built with New.
type instance struct {
	id     uint64
	plugin sdk.Plugin
	host   *serverHost
	source sdk.Source
	tr     sdk.Transform
	sink   sdk.Sink
	// out is the schema of the batches the instance emits or returns.
	out *arrow.Schema
	// flusher says the transform implements sdk.Flusher.
	flusher bool
	// columnar says the engine takes Keep and aligned Out (OpenRequest);
	// proj is the transform's projection, when it has one and the engine
	// takes it.
	columnar bool
	proj     *projection
	// headed says the engine reads Batch headers in frames (OpenRequest).
	headed bool
	// busy is held by the Process stream that is calling a transform, and
	// by Close: the engine may abandon a stream, and close the transform
	// or open another stream, while the plugin is still in a call of the
	// old one, which must finish first.
	busy chan struct{}
}

// hold waits for the instance to be free of other callers, or ctx to end.
func (in *instance) hold(ctx context.Context) error {
	select {
	case in.busy <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (in *instance) free() { <-in.busy }

// running reports a call into the plugins to ServerOptions.Running; the
// caller defers what it returns.
func (s *Server) running(call string) (done func()) {
	if s.opts.Running == nil {
		return func() {}
	}
	return s.opts.Running(call)
}

// NewServer returns a server for plugins.
func NewServer(plugins []sdk.Plugin, opts ServerOptions) *Server {
	opts.defaults()
	return &Server{opts: opts, plugins: plugins, instances: map[uint64]*instance{}}
}

// Describe lists the plugins served.
func (s *Server) Describe(context.Context, *pb.DescribeRequest) (*pb.Catalog, error) {
	c := &pb.Catalog{Protocol: ProtocolVersion}
	for _, p := range s.plugins {
		info, err := json.Marshal(p.Info())
		if err != nil {
			return nil, err
		}
		schema, err := json.Marshal(p.Schema())
		if err != nil {
			return nil, err
		}
		c.Plugins = append(c.Plugins, &pb.PluginSpec{Kind: string(p.Kind()), InfoJson: info, SchemaJson: schema})
	}
	return c, nil
}

// New builds an instance.
func (s *Server) New(ctx context.Context, req *pb.NewRequest) (*pb.NewResponse, error) {
	defer s.running("New")()
	var plugin sdk.Plugin
	for _, p := range s.plugins {
		if string(p.Kind()) == req.Kind && p.Info().Name == req.Name {
			plugin = p
		}
	}
	if plugin == nil {
		return &pb.NewResponse{Error: encodeError(fmt.Errorf("this process serves no %s plugin %q", req.Kind, req.Name))}, nil
	}
	cfg, err := decodeValue(req.Config)
	if err != nil {
		return &pb.NewResponse{Error: encodeError(err)}, nil
	}
	v, err := plugin.New(ctx, cfg)
	if err != nil {
		return &pb.NewResponse{Error: encodeError(err)}, nil
	}
	_, flusher := v.(sdk.Flusher)
	in := &instance{plugin: plugin, flusher: flusher, busy: make(chan struct{}, 1)}
	switch x := v.(type) {
	case sdk.Source:
		in.source = x
	case sdk.Transform:
		in.tr = x
	case sdk.Sink:
		in.sink = x
	default:
		return &pb.NewResponse{Error: encodeError(fmt.Errorf("plugin %q built a %T, which is no source, transform or sink", req.Name, v))}, nil
	}
	s.mu.Lock()
	s.next++
	in.id = s.next
	s.instances[in.id] = in
	s.mu.Unlock()
	_, reporter := v.(sdk.MemoryReporter)
	_, aborter := v.(sdk.Aborter)
	_, syncer := in.sink.(sdk.Syncer)
	resp := &pb.NewResponse{Instance: in.id, Flusher: flusher, MemoryReporter: reporter, Aborter: aborter && in.sink != nil, Syncer: syncer}
	resp.Idempotent, resp.Incremental = in.claims()
	return resp, nil
}

// claims are what the instance says of itself through the optional
// interfaces whose answer is a per-instance fact, not a call: whether a
// sink is idempotent (sdk.Idempotent), whether a source is incremental
// (sdk.Incremental). They may depend on the configuration, and on what
// Open found, so New and Open both report them.
func (in *instance) claims() (idempotent, incremental bool) {
	if i, ok := in.sink.(sdk.Idempotent); ok {
		idempotent = i.Idempotent()
	}
	if i, ok := in.source.(sdk.Incremental); ok {
		incremental = i.Incremental()
	}
	return idempotent, incremental
}

func (s *Server) instance(id uint64) (*instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[id]
	if !ok {
		return nil, fmt.Errorf("%w: no instance %d", errProtocol, id)
	}
	return in, nil
}

// Open opens an instance with its input schema.
func (s *Server) Open(ctx context.Context, req *pb.OpenRequest) (*pb.OpenResponse, error) {
	defer s.running("Open")()
	in, err := s.instance(req.Instance)
	if err != nil {
		return nil, err
	}
	inSchema, err := decodeSchema(req.InSchema)
	if err != nil {
		return nil, err
	}
	in.host = &serverHost{
		logger:  s.opts.Logger.With(slog.String("plugin", in.plugin.Info().Name), slog.Uint64("instance", in.id)),
		alloc:   s.opts.Allocator,
		offline: req.Offline,
	}
	var out *arrow.Schema
	switch {
	case in.source != nil:
		out, err = in.source.Open(ctx, in.host)
	case in.tr != nil:
		out, err = in.tr.Open(ctx, in.host, inSchema)
	default:
		err = in.sink.Open(ctx, in.host, inSchema)
	}
	if err == nil && in.tr != nil {
		in.columnar = req.Columnar
		if in.columnar {
			in.proj, err = projectorOf(in.tr, inSchema, out)
			if err != nil {
				err = fmt.Errorf("plugin %q: %w", in.plugin.Info().Name, err)
			}
		}
	}
	if err != nil {
		return &pb.OpenResponse{Error: encodeError(err)}, nil
	}
	in.out = out
	in.headed = req.HeadedFrames
	b, err := encodeSchema(out)
	if err != nil {
		return nil, err
	}
	resp := &pb.OpenResponse{OutSchema: b, HeadedFrames: req.HeadedFrames}
	resp.Idempotent, resp.Incremental = in.claims()
	resp.Sync = in.syncClaims()
	if in.proj != nil {
		resp.Projection = in.proj.toPB()
	}
	return resp, nil
}

// Close closes an instance. Closing it again calls the plugin's Close
// again, as the engine would in-process.
func (s *Server) Close(ctx context.Context, req *pb.InstanceRef) (*pb.CloseResponse, error) {
	defer s.running("Close")()
	in, err := s.instance(req.Instance)
	if err != nil {
		return nil, err
	}
	switch {
	case in.source != nil:
		err = in.source.Close(ctx)
	case in.tr != nil:
		if err := in.hold(ctx); err != nil {
			return nil, err
		}
		err = in.tr.Close(ctx)
		in.free()
	default:
		err = in.sink.Close(ctx)
	}
	return &pb.CloseResponse{Error: encodeError(err)}, nil
}

// Abort aborts a sink that is an sdk.Aborter, in place of Close.
func (s *Server) Abort(ctx context.Context, req *pb.InstanceRef) (*pb.CloseResponse, error) {
	defer s.running("Abort")()
	in, err := s.instance(req.Instance)
	if err != nil {
		return nil, err
	}
	a, ok := in.sink.(sdk.Aborter)
	if !ok {
		return nil, fmt.Errorf("%w: instance %d is no sink that can abort", errProtocol, req.Instance)
	}
	return &pb.CloseResponse{Error: encodeError(a.Abort(ctx))}, nil
}

// MemoryHeld reports what a MemoryReporter holds.
func (s *Server) MemoryHeld(_ context.Context, req *pb.InstanceRef) (*pb.MemoryHeldResponse, error) {
	defer s.running("MemoryHeld")()
	in, err := s.instance(req.Instance)
	if err != nil {
		return nil, err
	}
	var v any = in.tr
	if in.sink != nil {
		v = in.sink
	} else if in.source != nil {
		v = in.source
	}
	if r, ok := v.(sdk.MemoryReporter); ok {
		return &pb.MemoryHeldResponse{Bytes: r.MemoryHeld()}, nil
	}
	return &pb.MemoryHeldResponse{}, nil
}

// serverHost is the Host a plugin gets in its own process.
type serverHost struct {
	logger  *slog.Logger
	alloc   memory.Allocator
	offline bool
}

func (h *serverHost) Logger() *slog.Logger        { return h.logger }
func (h *serverHost) Allocator() memory.Allocator { return h.alloc }
func (h *serverHost) Offline() bool               { return h.offline }
