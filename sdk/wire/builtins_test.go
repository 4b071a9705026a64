package wire_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/selectcols"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
)

// The builtins' results over the wire: a filter's Keep, a select that
// reads nothing.

// A filter's result crosses as its Keep bitmap, whatever the batch's size
// and offset.
func TestKeepCrossesAsABitmap(t *testing.T) {
	ctx := context.Background()
	plugins, _ := pipe(t, 0, filter.Transform)
	local := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer local.AssertSize(t, 0)
	inst, err := plugins["transform/filter"].New(ctx, cty.ObjectVal(map[string]cty.Value{"where": cty.StringVal("id % 3 == 0 || id % 7 == 0")}))
	if err != nil {
		t.Fatal(err)
	}
	tr := inst.(sdk.Transform)
	if _, err := tr.Open(ctx, host{local}, schema); err != nil {
		t.Fatal(err)
	}
	defer tr.Close(ctx)
	whole := batch(local, 0, 1000, 3)
	defer whole.Release()
	for _, span := range [][2]int64{{0, 1000}, {3, 20}, {5, 6}, {17, 1000}, {8, 8}} {
		in := whole.NewSlice(span[0], span[1])
		res, err := tr.Process(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Out != nil || res.Keep == nil || int64(res.Keep.Len()) != in.NumRows() {
			t.Fatalf("%v: out %v, keep %v", span, res.Out, res.Keep)
		}
		kept := 0
		for i := range res.Keep.Len() {
			id := span[0] + int64(i)
			if want := id%3 == 0 || id%7 == 0; batches.Kept(res.Keep, i) != want {
				t.Errorf("%v: row %d (id %d) kept %v", span, i, id, !want)
			}
			if batches.Kept(res.Keep, i) {
				kept++
			}
		}
		if kept+res.Filtered != int(in.NumRows()) || batches.CountKept(res.Keep) != kept {
			t.Errorf("%v: %d kept, %d filtered of %d", span, kept, res.Filtered, in.NumRows())
		}
		res.Keep.Release()
		in.Release()
	}
}

// select reads nothing: its calls carry rows and no column.
func TestSelectSendsNoColumns(t *testing.T) {
	ctx := context.Background()
	plugins, _ := pipe(t, 0, selectcols.Transform)
	local := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer local.AssertSize(t, 0)
	inst, err := plugins["transform/select"].New(ctx, cty.ObjectVal(map[string]cty.Value{"columns": cty.ListVal([]cty.Value{cty.StringVal("name")})}))
	if err != nil {
		t.Fatal(err)
	}
	tr := inst.(sdk.Transform)
	if _, err := tr.Open(ctx, host{local}, schema); err != nil {
		t.Fatal(err)
	}
	defer tr.Close(ctx)
	if reads, passes := tr.(sdk.Projector).Columns(); len(reads) != 0 || len(passes) != 1 || passes[0] != 1 {
		t.Errorf("Columns() = %v, %v", reads, passes)
	}
	in := batch(local, 0, 100, 3)
	defer in.Release()
	res, err := tr.Process(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Out.Release()
	if res.Out.NumRows() != 100 || res.Out.NumCols() != 1 || res.Out.Column(0) != in.Column(1) {
		t.Errorf("output %v", res.Out)
	}
}
