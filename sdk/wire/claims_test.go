package wire

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// claimsConfig configures the test plugins below: which claims they make,
// and whether only once opened.
type claimsConfig struct {
	Idempotent  bool `sluice:"idempotent"`
	Incremental bool `sluice:"incremental"`
	AtOpen      bool `sluice:"at_open"`
	Abort       bool `sluice:"abort"`
	Report      bool `sluice:"report"`
	// Keys makes the sink an sdk.Syncer with those key columns; Keyless
	// and NoDelete its KeylessReason and LeaveUnsupported(delete).
	Keys     []string `sluice:"keys"`
	Keyless  string   `sluice:"keyless"`
	NoDelete string   `sluice:"no_delete"`
}

// callLog records which of a test sink's Close and Abort the plugin side got.
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(c string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

type claimSink struct {
	cfg    claimsConfig
	opened bool
	log    *callLog
}

func (s *claimSink) Open(context.Context, sdk.Host, *arrow.Schema) error {
	s.opened = true
	return nil
}

func (s *claimSink) Write(_ context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	return sdk.WriteResult{}, nil
}

func (s *claimSink) Close(context.Context) error {
	s.log.add("Close")
	return nil
}

func (s *claimSink) Idempotent() bool { return s.cfg.Idempotent && (s.opened || !s.cfg.AtOpen) }

type abortingSink struct{ *claimSink }

func (s abortingSink) Abort(context.Context) error {
	s.log.add("Abort")
	return nil
}

type reportingSink struct{ *claimSink }

func (reportingSink) MemoryHeld() int64 { return 42 }

// syncingSink is a claimSink that syncs by cfg.Keys, known once opened.
type syncingSink struct{ *claimSink }

func (s syncingSink) KeyColumns() []string {
	if !s.opened {
		return nil
	}
	return s.cfg.Keys
}

func (s syncingSink) Leave(context.Context, arrow.RecordBatch, sdk.LeaveAction) (sdk.WriteResult, error) {
	return sdk.WriteResult{}, nil
}

func (s syncingSink) KeylessReason() string { return s.cfg.Keyless }

func (s syncingSink) LeaveUnsupported(a sdk.LeaveAction) string {
	if a == sdk.LeaveDelete {
		return s.cfg.NoDelete
	}
	return ""
}

type claimSource struct {
	cfg    claimsConfig
	opened bool
}

func (s *claimSource) Open(context.Context, sdk.Host) (*arrow.Schema, error) {
	s.opened = true
	return arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil), nil
}

func (s *claimSource) Read(context.Context, sdk.Checkpoint, sdk.Emitter) error { return nil }
func (s *claimSource) Close(context.Context) error                             { return nil }
func (s *claimSource) Incremental() bool {
	return s.cfg.Incremental && (s.opened || !s.cfg.AtOpen)
}

type reportingSource struct{ *claimSource }

func (reportingSource) MemoryHeld() int64 { return 7 }

func claimPlugins(log *callLog) []sdk.Plugin {
	return []sdk.Plugin{
		sdk.SinkPlugin(sdk.Info{Name: "claims"}, func(c claimsConfig) (sdk.Sink, error) {
			s := &claimSink{cfg: c, log: log}
			switch {
			case c.Abort:
				return abortingSink{s}, nil
			case c.Report:
				return reportingSink{s}, nil
			case c.Keys != nil:
				return syncingSink{s}, nil
			}
			return s, nil
		}),
		sdk.SourcePlugin(sdk.Info{Name: "claims"}, func(c claimsConfig) (sdk.Source, error) {
			s := &claimSource{cfg: c}
			if c.Report {
				return reportingSource{s}, nil
			}
			return s, nil
		}),
	}
}

// claimsOf lists an instance's claims as the engine reads them; what a
// syncing sink says of its keys only once opened, when the engine asks.
func claimsOf(inst any, opened bool) []string {
	var out []string
	if i, ok := inst.(sdk.Idempotent); ok && i.Idempotent() {
		out = append(out, "idempotent")
	}
	if i, ok := inst.(sdk.Incremental); ok && i.Incremental() {
		out = append(out, "incremental")
	}
	if _, ok := inst.(sdk.Aborter); ok {
		out = append(out, "aborter")
	}
	if r, ok := inst.(sdk.MemoryReporter); ok {
		out = append(out, "reporter")
		if r.MemoryHeld() == 0 {
			out = append(out, "reports nothing")
		}
	}
	if y, ok := inst.(sdk.Syncer); ok {
		out = append(out, "syncer")
		if opened {
			out = append(out, "keys "+strings.Join(y.KeyColumns(), ","))
		}
	}
	if k, ok := inst.(sdk.KeylessSyncer); ok && opened && k.KeylessReason() != "" {
		out = append(out, "keyless: "+k.KeylessReason())
	}
	if l, ok := inst.(sdk.LeaveLimiter); ok && opened {
		for _, a := range []sdk.LeaveAction{sdk.LeaveClear, sdk.LeaveDeactivate, sdk.LeaveDelete} {
			if why := l.LeaveUnsupported(a); why != "" {
				out = append(out, fmt.Sprintf("no %s: %s", a, why))
			}
		}
	}
	return out
}

// newInstance builds an instance of p from an HCL body, as the engine does.
func newInstance(t *testing.T, p sdk.Plugin, body string) any {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(body), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := p.Schema().DecodeBody(f.Body, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	inst, err := p.New(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func openInstance(t *testing.T, inst any, mem memory.Allocator) {
	t.Helper()
	ctx := context.Background()
	var err error
	switch x := inst.(type) {
	case sdk.Source:
		_, err = x.Open(ctx, testHost{mem})
	case sdk.Sink:
		err = x.Open(ctx, testHost{mem}, arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil))
	}
	if err != nil {
		t.Fatal(err)
	}
}

func closeInstance(inst any) {
	switch x := inst.(type) {
	case sdk.Source:
		_ = x.Close(context.Background())
	case sdk.Sink:
		_ = x.Close(context.Background())
	}
}

// A sink's and a source's claims reach the engine over gRPC as they are in
// process, after New and after Open: the engine resumes a run from its
// checkpoint on an idempotent sink's say, keeps an incremental source's
// checkpoint, and aborts a failed run's output, alike for both.
func TestClaimsCrossTheWire(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	log := &callLog{}
	local := claimPlugins(log)
	c, stop, err := Pipe(local, ServerOptions{Allocator: mem}, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	remote, err := c.Plugins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind                sdk.Kind
		body                string
		afterNew, afterOpen []string
	}{
		{sdk.KindSink, ``, nil, nil},
		{sdk.KindSink, `idempotent = true`, []string{"idempotent"}, []string{"idempotent"}},
		{sdk.KindSink, "idempotent = true\nat_open = true", nil, []string{"idempotent"}},
		{sdk.KindSink, `abort = true`, []string{"aborter"}, []string{"aborter"}},
		{sdk.KindSink, "abort = true\nidempotent = true", []string{"idempotent", "aborter"}, []string{"idempotent", "aborter"}},
		{sdk.KindSink, `report = true`, []string{"reporter"}, []string{"reporter"}},
		{sdk.KindSink, `keys = ["id", "region"]`, []string{"syncer"}, []string{"syncer", "keys id,region"}},
		{sdk.KindSink, "keys = []\nkeyless = \"it creates a record per row\"", []string{"syncer"}, []string{"syncer", "keys ", "keyless: it creates a record per row"}},
		{sdk.KindSink, "keys = [\"id\"]\nno_delete = \"records cannot be deleted\"", []string{"syncer"}, []string{"syncer", "keys id", "no delete: records cannot be deleted"}},
		{sdk.KindSource, ``, nil, nil},
		{sdk.KindSource, `incremental = true`, []string{"incremental"}, []string{"incremental"}},
		{sdk.KindSource, "incremental = true\nat_open = true", nil, []string{"incremental"}},
		{sdk.KindSource, `report = true`, []string{"reporter"}, []string{"reporter"}},
	} {
		for i, p := range []sdk.Plugin{local[0], local[1], remote[0], remote[1]} {
			if p.Kind() != tc.kind {
				continue
			}
			where := "in process"
			if i >= 2 {
				where = "over gRPC"
			}
			inst := newInstance(t, p, tc.body)
			if got := claimsOf(inst, false); !slices.Equal(got, tc.afterNew) {
				t.Errorf("%s %q %s: after New, claims %q, want %q", tc.kind, tc.body, where, got, tc.afterNew)
			}
			openInstance(t, inst, mem)
			if got := claimsOf(inst, true); !slices.Equal(got, tc.afterOpen) {
				t.Errorf("%s %q %s: after Open, claims %q, want %q", tc.kind, tc.body, where, got, tc.afterOpen)
			}
			closeInstance(inst)
		}
	}

	// The engine aborts a failed run's output instead of closing: over
	// gRPC, the plugin's sink gets Abort, and not Close.
	log.take()
	inst := newInstance(t, remote[0], `abort = true`)
	openInstance(t, inst, mem)
	rec := oneRow(mem)
	_, err = inst.(sdk.Sink).Write(context.Background(), rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.(sdk.Aborter).Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); !slices.Equal(got, []string{"Abort"}) {
		t.Errorf("aborting over gRPC, the plugin's sink got %q, want Abort alone", got)
	}
}

func oneRow(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil))
	defer b.Release()
	b.Field(0).(*array.Int64Builder).Append(1)
	return b.NewRecordBatch()
}

// olderPlugin is the server of a plugin binary that predates the claims in
// NewResponse and OpenResponse, and the Abort and Leave calls.
type olderPlugin struct{ *Server }

func (o olderPlugin) New(ctx context.Context, req *pb.NewRequest) (*pb.NewResponse, error) {
	resp, err := o.Server.New(ctx, req)
	if resp != nil {
		resp.Aborter, resp.Idempotent, resp.Incremental, resp.Syncer = false, false, false, false
	}
	return resp, err
}

func (o olderPlugin) Open(ctx context.Context, req *pb.OpenRequest) (*pb.OpenResponse, error) {
	resp, err := o.Server.Open(ctx, req)
	if resp != nil {
		resp.Idempotent, resp.Incremental, resp.Sync = false, false, nil
	}
	return resp, err
}

func (olderPlugin) Leave(context.Context, *pb.LeaveRequest) (*pb.Batch, error) {
	return nil, status.Error(codes.Unimplemented, "method Leave not implemented")
}

func (olderPlugin) Abort(context.Context, *pb.InstanceRef) (*pb.CloseResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Abort not implemented")
}

// A plugin binary that predates the claims makes none: its sinks are not
// idempotent and its sources not incremental to the engine, which then
// starts runs from the beginning, as it always did with them; its sinks
// are no Aborter, so the engine closes them and never calls the Abort it
// does not know, and no Syncer, so the engine refuses their sync blocks
// before it could call the Leave they do not know.
func TestAnOlderPluginClaimsNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	log := &callLog{}
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer(grpc.WaitForHandlers(true))
	pb.RegisterPluginServer(s, olderPlugin{NewServer(claimPlugins(log), ServerOptions{Allocator: mem})})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///older",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = conn.Close()
		s.Stop()
		<-served
	}()
	remote, err := NewClient(conn, ClientOptions{}).Plugins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range remote {
		bodies := []string{"idempotent = true\nincremental = true\nabort = true"}
		if p.Kind() == sdk.KindSink {
			// A sink is one of aborting and syncing at a time.
			bodies = append(bodies, "keys = [\"n\"]")
		}
		for _, body := range bodies {
			inst := newInstance(t, p, body)
			openInstance(t, inst, mem)
			if got := claimsOf(inst, true); len(got) != 0 {
				t.Errorf("%s %q of an older plugin claims %q, want nothing", p.Kind(), body, got)
			}
			closeInstance(inst)
		}
	}
	if got := log.take(); !slices.Equal(got, []string{"Close", "Close"}) {
		t.Errorf("the older plugin's sink got %q, want Close", got)
	}
}
