package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/registry/registrytest"
	"github.com/sluicedata/sluice/plugins/examples/httpjson"
	"github.com/sluicedata/sluice/plugins/examples/textcase"
	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk"
)

// binaries are the example plugins, built once per test binary run.
type binaries struct {
	httpjson, httpjsonSum     string
	textcase, textcaseSum     string
	transforms, transformsSum string
}

func build(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	var b binaries
	b.httpjson, b.httpjsonSum = registrytest.Build(t, dir, "github.com/sluicedata/sluice/plugins/examples/httpjson/cmd/sluice-plugin-httpjson")
	b.textcase, b.textcaseSum = registrytest.Build(t, dir, "github.com/sluicedata/sluice/plugins/examples/textcase/cmd/sluice-plugin-textcase")
	b.transforms, b.transformsSum = registrytest.Build(t, dir, "github.com/sluicedata/sluice/plugins/examples/transforms/cmd/sluice-plugin-transforms")
	return b
}

// nodes is the pipeline both variants run: an httpjson source with a
// rejects sink, the textcase transform, the builtin filter and map
// transforms, and a memory sink.
func nodes(url string) string {
	return fmt.Sprintf(`
source "httpjson" "people" {
  url     = %q
  columns = { id = "int64", name = "string", score = "float64", active = "bool" }
  rejects = sink.rejects
}

transform "textcase" "shout" {
  input   = source.people
  columns = ["name"]
}

transform "filter" "active" {
  input = transform.shout
  where = "active && score > 3"
}

transform "map" "tidy" {
  input   = transform.active
  columns = { label = "name ?? 'nobody'", score = "score * 2" }
  drop    = ["active"]
}

sink "memory" "out" {
  input = transform.tidy
  table = "out"
}

sink "memory" "rejects" {
  table = "rejects"
}
`, url)
}

func pluginBlock(name, path, sum string) string {
	return fmt.Sprintf("plugin %q {\n  path   = %q\n  sha256 = %q\n}\n", name, path, sum)
}

type run struct {
	store *memplugin.Store
	mem   *memory.CheckedAllocator
	stats engine.Stats
	err   error
	took  time.Duration
}

// runPipeline runs src, written to a file in a fresh directory, with the
// memory plugins and the given ones compiled in.
func runPipeline(t *testing.T, src string, ctx context.Context, opts []engine.Option, plugins ...sdk.Plugin) *run {
	t.Helper()
	r := &run{store: memplugin.NewStore(), mem: memory.NewCheckedAllocator(memory.NewGoAllocator())}
	t.Cleanup(func() {
		r.store.Clear()
		r.mem.AssertSize(t, 0)
	})
	opts = append([]engine.Option{engine.WithPlugins(append(r.store.Plugins(), plugins...)...), engine.WithAllocator(r.mem)}, opts...)
	eng, err := engine.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pipeline.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := eng.Load(path, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r.stats, r.err = p.Run(ctx, engine.RunOptions{})
	r.took = time.Since(start)
	return r
}

// jsonl renders a memory table as JSON lines, the bytes two runs must
// agree on.
func (r *run) jsonl(t *testing.T, table string) []byte {
	t.Helper()
	_, recs, ok := r.store.Batches(table)
	if !ok {
		t.Fatalf("no table %q", table)
	}
	var buf bytes.Buffer
	for _, rec := range recs {
		if err := array.RecordToJSON(rec, &buf); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	return buf.Bytes()
}

// An external source and external transforms produce, byte for byte, what
// the same plugins produce compiled in: the rows, the rejected rows with
// their reasons, and the accounting.
func TestExternalPluginsMatchCompiledIn(t *testing.T) {
	bins := build(t)
	a := newAPI(t, 6, 250)

	builtin := runPipeline(t, nodes(a.url()), context.Background(), nil,
		httpjson.Source, textcase.Transform, filter.Transform, mapper.Transform)
	if builtin.err != nil {
		t.Fatal(builtin.err)
	}
	external := runPipeline(t,
		pluginBlock("httpjson", bins.httpjson, bins.httpjsonSum)+
			pluginBlock("textcase", bins.textcase, bins.textcaseSum)+
			pluginBlock("transforms", bins.transforms, bins.transformsSum)+
			nodes(a.url()),
		context.Background(), nil)
	if external.err != nil {
		t.Fatal(external.err)
	}
	for _, table := range []string{"out", "rejects"} {
		want, got := builtin.jsonl(t, table), external.jsonl(t, table)
		if len(want) == 0 {
			t.Fatalf("table %s is empty: the test proves nothing", table)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("table %s differs:\ncompiled in:\n%.2000s\nexternal:\n%.2000s", table, want, got)
		}
	}
	for _, addr := range []string{"source.people", "transform.shout", "transform.active", "transform.tidy", "sink.out", "sink.rejects"} {
		w, _ := builtin.stats.Node(addr)
		g, _ := external.stats.Node(addr)
		if w.In != g.In || w.Out != g.Out || w.Filtered != g.Filtered || w.Rejected != g.Rejected {
			t.Errorf("%s: compiled in %+v, external %+v", addr, w, g)
		}
	}
	if got := string(external.stats.Checkpoints["source.people"]); got != "" {
		t.Errorf("final checkpoint %q, want the empty next page", got)
	}
}

// The renamed builtins of sluice-plugin-ext-transforms run out of process
// beside the same builtins compiled in, as in testdata/bench/w1-external.hcl,
// and give what the builtins give.
func TestRenamedTransformsRunBesideTheBuiltins(t *testing.T) {
	bin, sum := registrytest.Build(t, t.TempDir(), "github.com/sluicedata/sluice/plugins/examples/transforms/cmd/sluice-plugin-ext-transforms")
	a := newAPI(t, 3, 100)
	builtins := []sdk.Plugin{httpjson.Source, textcase.Transform, filter.Transform, mapper.Transform}
	builtin := runPipeline(t, nodes(a.url()), context.Background(), nil, builtins...)
	if builtin.err != nil {
		t.Fatal(builtin.err)
	}
	renamed := strings.NewReplacer(`transform "filter"`, `transform "ext_filter"`, `transform "map"`, `transform "ext_map"`).Replace(nodes(a.url()))
	external := runPipeline(t, pluginBlock("transforms", bin, sum)+renamed, context.Background(), nil, builtins...)
	if external.err != nil {
		t.Fatal(external.err)
	}
	for _, table := range []string{"out", "rejects"} {
		want, got := builtin.jsonl(t, table), external.jsonl(t, table)
		if len(want) == 0 || !bytes.Equal(want, got) {
			t.Errorf("table %s differs:\ncompiled in:\n%.2000s\nexternal:\n%.2000s", table, want, got)
		}
	}
}

// Killing the plugin process mid-run fails the run within seconds with an
// error that names the plugin; the checkpoint never passes a row that was
// not written; and a rerun completes.
func TestKilledPluginFailsTheRunAndRerunCompletes(t *testing.T) {
	bins := build(t)
	a := newAPI(t, 6, 250)
	a.hold = 4
	src := pluginBlock("httpjson", bins.httpjson, bins.httpjsonSum) + nodes(a.url())

	done := make(chan *run, 1)
	go func() {
		done <- runPipeline(t, src, context.Background(), nil, textcase.Transform, filter.Transform, mapper.Transform)
	}()
	select {
	case <-a.reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin never asked for page 4")
	}
	pids := registrytest.Children(t, bins.httpjson)
	if len(pids) != 1 {
		t.Fatalf("found plugin processes %v, want one", pids)
	}
	killed := time.Now()
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var r *run
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not end after the plugin was killed")
	}
	if took := time.Since(killed); took > 5*time.Second {
		t.Errorf("the run took %s to fail after the kill", took)
	}
	if r.err == nil || r.stats.Status != engine.StatusFailed {
		t.Fatalf("the run did not fail: %v, %s", r.err, r.stats.Status)
	}
	msg := r.err.Error()
	for _, want := range []string{`plugin "httpjson"`, "exited unexpectedly"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	// Pages 1 to 3 were read; whatever is checkpointed was written.
	if cp := string(r.stats.Checkpoints["source.people"]); cp != "" && !strings.HasSuffix(cp, "page=4") && !strings.HasSuffix(cp, "page=3") && !strings.HasSuffix(cp, "page=2") {
		t.Errorf("checkpoint %q is past what was read", cp)
	}
	sink, _ := r.stats.Node("sink.out")
	src1, _ := r.stats.Node("source.people")
	if sink.In > src1.Out {
		t.Errorf("the sink got %d rows of %d read", sink.In, src1.Out)
	}

	a2 := newAPI(t, 6, 250)
	again := runPipeline(t, pluginBlock("httpjson", bins.httpjson, bins.httpjsonSum)+nodes(a2.url()), context.Background(), nil,
		textcase.Transform, filter.Transform, mapper.Transform)
	if again.err != nil {
		t.Fatalf("rerun: %v", again.err)
	}
	if n, _ := again.stats.Node("source.people"); n.In != 6*250 {
		t.Errorf("rerun read %d rows", n.In)
	}
}

// A plugin process that stops answering is killed by the watchdog, and the
// run fails with an error that says so.
func TestHungPluginIsKilled(t *testing.T) {
	bins := build(t)
	a := newAPI(t, 6, 250)
	a.hold = 2
	src := pluginBlock("httpjson", bins.httpjson, bins.httpjsonSum) + nodes(a.url())
	done := make(chan *run, 1)
	go func() {
		done <- runPipeline(t, src, context.Background(), []engine.Option{engine.WithPluginHangTimeout(time.Second)},
			textcase.Transform, filter.Transform, mapper.Transform)
	}()
	<-a.reached
	pids := registrytest.Children(t, bins.httpjson)
	if len(pids) != 1 {
		t.Fatalf("found plugin processes %v, want one", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var r *run
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		syscall.Kill(pids[0], syscall.SIGKILL)
		t.Fatal("the run did not end after the plugin hung")
	}
	if r.err == nil || !strings.Contains(r.err.Error(), "stopped responding") || !strings.Contains(r.err.Error(), `plugin "httpjson"`) {
		t.Fatalf("got %v", r.err)
	}
}

// A binary whose checksum differs from the pin is not run.
func TestChecksumMismatchRefusesToRun(t *testing.T) {
	bins := build(t)
	a := newAPI(t, 1, 1)
	wrong := strings.Repeat("0", 64)
	r := runPipeline(t, pluginBlock("httpjson", bins.httpjson, wrong)+nodes(a.url()), context.Background(), nil,
		textcase.Transform, filter.Transform, mapper.Transform)
	var diags *engine.Diagnostics
	if !errors.As(r.err, &diags) {
		t.Fatalf("got %v", r.err)
	}
	msg := diags.Error()
	if !strings.Contains(msg, "checksum mismatch") && !strings.Contains(msg, "Plugin checksum mismatch") {
		t.Errorf("got %s", msg)
	}
	if !strings.Contains(msg, "pipeline.hcl:3:") {
		t.Errorf("the diagnostic does not point at the sha256 line: %s", msg)
	}
	if pids := registrytest.Children(t, bins.httpjson); len(pids) != 0 {
		t.Errorf("the binary was started: %v", pids)
	}
}

// A plugin's configuration mistakes point at the pipeline file, as a
// builtin's do.
func TestExternalDiagnosticsPointAtTheFile(t *testing.T) {
	bins := build(t)
	a := newAPI(t, 1, 1)
	src := pluginBlock("textcase", bins.textcase, bins.textcaseSum) + `
source "memory" "in" {
  table = "in"
}
transform "textcase" "bad" {
  input   = source.in
  columns = ["name", "nope"]
  case    = "title"
}
`
	_ = a
	r := runPipeline(t, src, context.Background(), nil)
	var diags *engine.Diagnostics
	if !errors.As(r.err, &diags) {
		t.Fatalf("got %v", r.err)
	}
	if msg := diags.Error(); !strings.Contains(msg, "pipeline.hcl:12:13: case must be") {
		t.Errorf("got %s", msg)
	}
}
