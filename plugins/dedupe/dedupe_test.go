package dedupe_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/plugins/dedupe"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
	sluicebatches "github.com/sluicedata/sluice/sdk/batches"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64},
}, nil)

func newDedupe(t *testing.T, h *testhost.Host, cfg map[string]string) sdk.Transform {
	t.Helper()
	attrs := map[string]cty.Value{"key": cty.NullVal(cty.String), "keep": cty.NullVal(cty.String), "by": cty.NullVal(cty.String)}
	for k, v := range cfg {
		attrs[k] = cty.StringVal(v)
	}
	inst, err := dedupe.Transform.New(context.Background(), cty.ObjectVal(attrs))
	if err != nil {
		t.Fatal(err)
	}
	tr := inst.(sdk.Transform)
	if _, err := tr.Open(context.Background(), h, schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(context.Background()) })
	return tr
}

// batch builds a batch from "key=value" pairs; "-" as key is null.
func batch(h *testhost.Host, pairs ...string) arrow.RecordBatch {
	b := array.NewRecordBuilder(h.Mem, schema)
	defer b.Release()
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		if k == "-" {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(k)
		}
		var n int64
		fmt.Sscan(v, &n)
		b.Field(1).(*array.Int64Builder).Append(n)
	}
	return b.NewRecordBatch()
}

func rows(rec arrow.RecordBatch) string {
	if rec == nil {
		return ""
	}
	var out []string
	for i := range int(rec.NumRows()) {
		out = append(out, rec.Column(0).ValueStr(i)+"="+rec.Column(1).ValueStr(i))
	}
	return strings.Join(out, " ")
}

// run feeds batches through tr and returns every output row, in order, and
// the total deduplicated count. It reads results as the engine does
// (batches.Output): keep = first returns a Keep mask.
func run(t *testing.T, h *testhost.Host, tr sdk.Transform, batches ...[]string) (string, int) {
	t.Helper()
	var out []string
	dedup := 0
	collect := func(in arrow.RecordBatch, res sdk.Result) {
		dedup += res.Deduplicated
		if in == nil {
			in = batch(h) // Flush: no input
			defer in.Release()
		}
		rec, err := sluicebatches.Output(context.Background(), h.Mem, in, res, res.Rejects, true)
		if err != nil {
			t.Fatal(err)
		}
		if rec != nil {
			out = append(out, rows(rec))
			rec.Release()
		}
	}
	for _, pairs := range batches {
		in := batch(h, pairs...)
		res, err := tr.Process(context.Background(), in)
		if err != nil {
			in.Release()
			t.Fatal(err)
		}
		collect(in, res)
		in.Release()
	}
	for {
		res, err := tr.(sdk.Flusher).Flush(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Out == nil {
			break
		}
		collect(nil, res)
	}
	return strings.Join(out, " "), dedup
}

func TestKeepModes(t *testing.T) {
	input := [][]string{{"a=1", "b=5", "-=0", "a=3"}, {"=9", "b=2", "a=2", "c=7"}}
	cases := []struct {
		cfg  map[string]string
		want string
	}{
		{map[string]string{"key": "k"}, "a=1 b=5 (null)=0 =9 c=7"},
		{map[string]string{"key": "k", "keep": "last"}, "(null)=0 =9 b=2 a=2 c=7"},
		{map[string]string{"key": "k", "keep": "greatest", "by": "v"}, "b=5 (null)=0 a=3 =9 c=7"},
		{map[string]string{"key": "k", "keep": "least", "by": "v"}, "a=1 (null)=0 =9 b=2 c=7"},
	}
	for _, c := range cases {
		h := testhost.New(t)
		got, dedup := run(t, h, newDedupe(t, h, c.cfg), input...)
		if got != c.want || dedup != 3 {
			t.Errorf("%v: got %q with %d deduplicated, want %q with 3", c.cfg, got, dedup, c.want)
		}
	}
}

func TestHoldingReleasesBatchesWithoutWinners(t *testing.T) {
	h := testhost.New(t)
	tr := newDedupe(t, h, map[string]string{"key": "k", "keep": "last"})
	reporter := tr.(sdk.MemoryReporter)
	first := batch(h, "a=1", "b=1")
	res, _ := tr.Process(context.Background(), first)
	first.Release()
	held := reporter.MemoryHeld()
	if res.Out != nil || res.Keep != nil || held == 0 {
		t.Fatalf("out %v, held %d", res.Out, held)
	}
	// Every row of the first batch loses to the second: the first batch is
	// released, so memory held does not grow.
	second := batch(h, "a=2", "b=2")
	tr.Process(context.Background(), second)
	second.Release()
	if got := reporter.MemoryHeld(); got > held {
		t.Errorf("held %d bytes after the first batch lost every row, %d before", got, held)
	}
	if got, _ := run(t, h, tr); got != "a=2 b=2" {
		t.Errorf("flushed %q", got)
	}
}

func TestConfigMistakes(t *testing.T) {
	for cfg, want := range map[string]string{
		"greatest":    "needs by",
		"first+by":    "by only applies",
		"sometimes":   "keep must be",
		"unknown col": "unknown name",
	} {
		attrs := map[string]cty.Value{"key": cty.StringVal("k"), "keep": cty.NullVal(cty.String), "by": cty.NullVal(cty.String)}
		switch cfg {
		case "greatest":
			attrs["keep"] = cty.StringVal("greatest")
		case "first+by":
			attrs["by"] = cty.StringVal("v")
		case "sometimes":
			attrs["keep"] = cty.StringVal("sometimes")
		case "unknown col":
			attrs["key"] = cty.StringVal("nope")
		}
		inst, err := dedupe.Transform.New(context.Background(), cty.ObjectVal(attrs))
		if err == nil {
			_, err = inst.(sdk.Transform).Open(context.Background(), testhost.New(t), schema)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", cfg, err, want)
		}
	}
}

// Keeping the first row is a projection: it reads the key's columns, passes
// every column on and answers with a Keep mask. The holding modes are not.
func TestKeepFirstIsAProjection(t *testing.T) {
	h := testhost.New(t)
	tr := newDedupe(t, h, map[string]string{"key": "lower(k)"})
	reads, passes := tr.(sdk.Projector).Columns()
	if fmt.Sprint(reads, passes) != "[k] [0 1]" {
		t.Errorf("Columns() = %v, %v", reads, passes)
	}
	in := batch(h, "a=1", "A=2", "b=3")
	defer in.Release()
	res, err := tr.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Out != nil || res.Keep == nil || res.Keep.String() != "[true false true]" || res.Deduplicated != 1 {
		t.Errorf("out %v, keep %v, deduplicated %d", res.Out, res.Keep, res.Deduplicated)
	}
	res.Keep.Release()
	for _, keep := range []string{"last", "greatest"} {
		cfg := map[string]string{"key": "k", "keep": keep}
		if keep == "greatest" {
			cfg["by"] = "v"
		}
		if _, passes := newDedupe(t, h, cfg).(sdk.Projector).Columns(); passes != nil {
			t.Errorf("keep = %s: Columns() passes %v, want nil: it holds rows", keep, passes)
		}
	}
}
