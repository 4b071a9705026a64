package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// ClientOptions configure the engine side.
type ClientOptions struct {
	// Label names the plugin process in errors, such as
	// `plugin "httpjson" (bin/sluice-plugin-httpjson)`.
	Label string
	// Gone, when set, says why the plugin process is no longer there (it
	// exited, or stopped answering health checks and was killed), or nil
	// while it runs. Errors of a broken connection report it.
	Gone func() error
	// MaxMessageBytes is the size above which batches are split. Default
	// DefaultMaxMessageBytes.
	MaxMessageBytes int
	// ReadWindow is how many source batches may be in flight before the
	// engine takes the first. Default DefaultReadWindow.
	ReadWindow int
	// TransformWindow is how many calls to a transform may be in flight
	// before the engine takes the first result (sdk.Pipeliner). Default
	// DefaultTransformWindow; 1 makes every call wait for its result.
	TransformWindow int
}

// Client is the engine's side of a connection to a plugin process. The
// plugins it returns implement sdk.Plugin, and their instances sdk.Source,
// sdk.Transform or sdk.Sink: the engine treats them as it treats builtins.
type Client struct {
	conn grpc.ClientConnInterface
	rpc  pb.PluginClient
	opts ClientOptions
	// columnar says Open tells transforms that this engine takes Keep and
	// aligned Out, and projects calls; headed that it reads and sends Batch
	// headers in frames. Always, but for the tests of how a plugin answers
	// an engine that predates them.
	columnar, headed bool
}

// NewClient returns a client on a gRPC connection to a plugin server.
func NewClient(conn grpc.ClientConnInterface, opts ClientOptions) *Client {
	if opts.Label == "" {
		opts.Label = "plugin process"
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.ReadWindow <= 0 {
		opts.ReadWindow = DefaultReadWindow
	}
	if opts.TransformWindow <= 0 {
		opts.TransformWindow = DefaultTransformWindow
	}
	return &Client{conn: conn, rpc: pb.NewPluginClient(conn), opts: opts, columnar: true, headed: true}
}

// Ping checks that the plugin process answers, with go-plugin's health
// service, within ctx.
func (c *Client) Ping(ctx context.Context) error {
	_, err := healthpb.NewHealthClient(c.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "plugin"})
	return err
}

// Plugins asks the process which plugins it serves.
func (c *Client) Plugins(ctx context.Context) ([]sdk.Plugin, error) {
	cat, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, c.broken(ctx, err)
	}
	if cat.Protocol != ProtocolVersion {
		return nil, fmt.Errorf("%s speaks protocol %d; this engine speaks %d", c.opts.Label, cat.Protocol, ProtocolVersion)
	}
	out := make([]sdk.Plugin, 0, len(cat.Plugins))
	for _, spec := range cat.Plugins {
		p := &remotePlugin{c: c, kind: sdk.Kind(spec.Kind), schema: &sdk.Schema{}}
		if !p.kind.Valid() {
			return nil, fmt.Errorf("%s offers a plugin of unknown kind %q", c.opts.Label, spec.Kind)
		}
		if err := json.Unmarshal(spec.InfoJson, &p.info); err != nil {
			return nil, fmt.Errorf("%s: decoding plugin info: %w", c.opts.Label, err)
		}
		if err := json.Unmarshal(spec.SchemaJson, p.schema); err != nil {
			return nil, fmt.Errorf("%s: decoding the schema of %q: %w", c.opts.Label, p.info.Name, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// broken turns the error of a call that failed in transport into one that
// names the plugin process and, if it is gone, why.
func (c *Client) broken(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if errors.Is(err, errProtocol) {
		return fmt.Errorf("%s: %w", c.opts.Label, err)
	}
	if c.opts.Gone != nil {
		if why := c.opts.Gone(); why != nil {
			return fmt.Errorf("%s: %w", c.opts.Label, why)
		}
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.Unavailable, codes.Canceled:
			return fmt.Errorf("%s: lost the connection to the plugin process: %s", c.opts.Label, s.Message())
		}
		return fmt.Errorf("%s: %s", c.opts.Label, s.Message())
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s: %w", c.opts.Label, err)
}

// remotePlugin is a plugin served by the process.
type remotePlugin struct {
	c      *Client
	kind   sdk.Kind
	info   sdk.Info
	schema *sdk.Schema
}

func (p *remotePlugin) Info() sdk.Info      { return p.info }
func (p *remotePlugin) Kind() sdk.Kind      { return p.kind }
func (p *remotePlugin) Schema() *sdk.Schema { return p.schema }

// New builds an instance in the plugin process. Its configuration
// diagnostics come back with their paths.
func (p *remotePlugin) New(ctx context.Context, config cty.Value) (any, error) {
	dv, err := encodeValue(config)
	if err != nil {
		return nil, err
	}
	resp, err := p.c.rpc.New(ctx, &pb.NewRequest{Kind: string(p.kind), Name: p.info.Name, Config: dv})
	if err != nil {
		return nil, p.c.broken(ctx, err)
	}
	if resp.Error != nil {
		return nil, decodeError(resp.Error)
	}
	base := &remote{c: p.c, id: resp.Instance}
	base.claim(resp.Idempotent, resp.Incremental)
	// An optional interface whose presence changes what the engine does
	// (an Aborter's Abort replaces Close) is implemented only when the
	// plugin's instance implements it; one that only answers a question
	// (Idempotent, Incremental) is implemented always, and answers as the
	// plugin did: a false claim is what the engine takes from an instance
	// that does not implement it.
	switch p.kind {
	case sdk.KindSource:
		s := &remoteSource{remote: base}
		if resp.MemoryReporter {
			return &struct {
				*remoteSource
				reporter
			}{s, reporter{base}}, nil
		}
		return s, nil
	case sdk.KindSink:
		s := &remoteSink{remote: base, maxInFlight: max(p.info.Writes.InFlight, p.info.Writes.MaxInFlight)}
		return sinkWith(s, resp), nil
	}
	t := &remoteTransform{remote: base}
	switch {
	case resp.Flusher && resp.MemoryReporter:
		return &struct {
			*remoteTransform
			flusher
			reporter
		}{t, flusher{t}, reporter{base}}, nil
	case resp.Flusher:
		return &struct {
			*remoteTransform
			flusher
		}{t, flusher{t}}, nil
	case resp.MemoryReporter:
		return &struct {
			*remoteTransform
			reporter
		}{t, reporter{base}}, nil
	}
	return t, nil
}

// remote is an instance in the plugin process.
type remote struct {
	c    *Client
	id   uint64
	host sdk.Host
	// headed says both sides send Batch headers in frames (Open).
	headed bool
	// idempotent and incremental are the instance's claims, as New and
	// then Open reported them.
	idempotent, incremental atomic.Bool
	// sync is what a syncing sink said of its keys at Open (nil before).
	sync atomic.Pointer[pb.SyncClaims]
}

func (r *remote) claim(idempotent, incremental bool) {
	r.idempotent.Store(idempotent)
	r.incremental.Store(incremental)
}

func (r *remote) open(ctx context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	_, out, err := r.openTransform(ctx, host, in, false)
	return out, err
}

// openTransform opens the instance and returns the response and the output
// schema; columnar asks for a transform's projection (OpenRequest).
func (r *remote) openTransform(ctx context.Context, host sdk.Host, in *arrow.Schema, columnar bool) (*pb.OpenResponse, *arrow.Schema, error) {
	r.host = host
	b, err := encodeSchema(in)
	if err != nil {
		return nil, nil, err
	}
	resp, err := r.c.rpc.Open(ctx, &pb.OpenRequest{Instance: r.id, Offline: host.Offline(), InSchema: b, Columnar: columnar, HeadedFrames: r.c.headed})
	if err != nil {
		return nil, nil, r.c.broken(ctx, err)
	}
	if resp.Error != nil {
		return nil, nil, decodeError(resp.Error)
	}
	r.headed = resp.HeadedFrames
	r.claim(resp.Idempotent, resp.Incremental)
	r.sync.Store(resp.Sync)
	out, err := decodeSchema(resp.OutSchema)
	return resp, out, err
}

func (r *remote) close(ctx context.Context) error {
	resp, err := r.c.rpc.Close(ctx, &pb.InstanceRef{Instance: r.id})
	if err != nil {
		return r.c.broken(ctx, err)
	}
	return decodeError(resp.Error)
}

// reporter forwards MemoryHeld.
type reporter struct{ r *remote }

func (m reporter) MemoryHeld() int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := m.r.c.rpc.MemoryHeld(ctx, &pb.InstanceRef{Instance: m.r.id})
	if err != nil {
		return 0
	}
	return resp.Bytes
}
