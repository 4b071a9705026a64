package e2e

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/registry/registrytest"
	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk"
)

// runChain runs benchNodes (filter then map, memory to memory) over input,
// with the given plugins compiled in, and calls during once, with the
// store, as the run starts.
func runChain(t *testing.T, src string, input []arrow.RecordBatch, during func(*memplugin.Store), plugins ...sdk.Plugin) (*memplugin.Store, engine.Stats, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	store := memplugin.NewStore()
	t.Cleanup(func() {
		store.Clear()
		mem.AssertSize(t, 0)
	})
	store.Put("in", benchSchema, input...)
	eng, err := engine.New(engine.WithPlugins(append(store.Plugins(), plugins...)...), engine.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Parse(map[string][]byte{"chain.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if during != nil {
		go during(store)
	}
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	return store, stats, err
}

func tableJSON(t *testing.T, store *memplugin.Store, table string) []byte {
	t.Helper()
	_, recs, _ := store.Batches(table)
	var buf bytes.Buffer
	for _, rec := range recs {
		if err := array.RecordToJSON(rec, &buf); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	return buf.Bytes()
}

// Killing the plugin process of the transforms while their calls are in
// flight (pipelined, several per transform) fails the run within seconds
// naming the plugin, and loses no row: what reached the sink is exactly
// the beginning of the full output, in order, with nothing missing
// between. A rerun completes.
func TestKilledTransformPluginWithCallsInFlight(t *testing.T) {
	bin, sum := registrytest.Build(t, t.TempDir(), "github.com/sluicedata/sluice/plugins/examples/transforms/cmd/sluice-plugin-transforms")
	input := customers(300_000, 2_000)
	defer func() {
		for _, r := range input {
			r.Release()
		}
	}()
	wantStore, _, err := runChain(t, benchNodes, input, nil, filter.Transform, mapper.Transform)
	if err != nil {
		t.Fatal(err)
	}
	want := tableJSON(t, wantStore, "out")

	external := pluginBlock("transforms", bin, sum) + benchNodes
	var killed time.Time
	killing := make(chan struct{})
	kill := func(store *memplugin.Store) {
		defer close(killing)
		deadline := time.Now().Add(20 * time.Second)
		for store.Rows("out") == 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Microsecond)
		}
		pids := registrytest.Children(t, bin)
		if len(pids) != 1 {
			t.Errorf("found plugin processes %v, want one", pids)
			return
		}
		killed = time.Now()
		if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
			t.Error(err)
		}
	}
	store, stats, err := runChain(t, external, input, kill)
	<-killing
	if killed.IsZero() {
		t.Fatal("the plugin was never killed")
	}
	if took := time.Since(killed); took > 5*time.Second {
		t.Errorf("the run took %s to fail after the kill", took)
	}
	if err == nil || stats.Status != engine.StatusFailed {
		t.Fatalf("the run did not fail: %v, %s", err, stats.Status)
	}
	for _, s := range []string{`plugin "transforms"`, "exited unexpectedly"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	got := tableJSON(t, store, "out")
	if len(got) == 0 || len(got) >= len(want) {
		t.Errorf("the sink got %d bytes of the %d of a whole run: the kill came too early or too late to test anything", len(got), len(want))
	}
	if !bytes.HasPrefix(want, got) {
		t.Errorf("what the sink got before the kill is not the beginning of the full output: a row was lost or reordered")
	}

	again, _, err := runChain(t, external, input, nil)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if !bytes.Equal(tableJSON(t, again, "out"), want) {
		t.Errorf("the rerun's output differs from the compiled-in run's")
	}
}
