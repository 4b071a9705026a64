package mapper_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/zclconf/go-cty/cty"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/mapper"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "first", Type: arrow.BinaryTypes.String},
	{Name: "last", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64},
}, nil)

func open(t *testing.T, h *testhost.Host, columns map[string]string, lists map[string][]string, rename map[string]string) (sdk.Transform, *arrow.Schema, error) {
	t.Helper()
	cols := map[string]cty.Value{}
	for k, v := range columns {
		cols[k] = cty.StringVal(v)
	}
	attrs := map[string]cty.Value{"columns": cty.MapValEmpty(cty.String), "drop": cty.NullVal(cty.List(cty.String)), "keep": cty.NullVal(cty.List(cty.String)), "rename": cty.NullVal(cty.Map(cty.String))}
	if len(cols) > 0 {
		attrs["columns"] = cty.MapVal(cols)
	}
	for k, l := range lists {
		var vals []cty.Value
		for _, s := range l {
			vals = append(vals, cty.StringVal(s))
		}
		attrs[k] = cty.ListVal(vals)
	}
	if len(rename) > 0 {
		r := map[string]cty.Value{}
		for k, v := range rename {
			r[k] = cty.StringVal(v)
		}
		attrs["rename"] = cty.MapVal(r)
	}
	inst, err := mapper.Transform.New(context.Background(), cty.ObjectVal(attrs))
	if err != nil {
		return nil, nil, err
	}
	tr := inst.(sdk.Transform)
	out, err := tr.Open(context.Background(), h, schema)
	return tr, out, err
}

func TestColumnsDropRenameKeep(t *testing.T) {
	h := testhost.New(t)
	tr, out, err := open(t, h,
		map[string]string{"last": "upper(last)", "full": "first + ' ' + last", "double": "n * 2"},
		map[string][]string{"drop": {"n"}, "keep": {"full", "surname", "double", "first"}},
		map[string]string{"last": "surname"})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "full: type=utf8") || out.Field(1).Name != "surname" || out.Field(2).Type.ID() != arrow.INT64 || out.NumFields() != 4 {
		t.Errorf("schema %s", got)
	}
	b := array.NewRecordBuilder(h.Mem, schema)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"Ada", "Bo"}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"Lovelace", ""}, []bool{true, false})
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	in := b.NewRecordBatch()
	b.Release()
	defer in.Release()
	res, err := tr.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	// Out is aligned with the input: the rejected row is still there, null
	// in the computed columns, and the passed column is the input's array.
	if res.Out.NumRows() != 2 || res.Out.Column(3) != in.Column(0) || res.Out.Column(0).IsValid(1) {
		t.Errorf("output not aligned with the input: %v", res.Out)
	}
	if len(res.Rejects) != 1 || res.Rejects[0].Row != 1 || !strings.Contains(res.Rejects[0].Message, "columns.") {
		t.Errorf("rejects %+v", res.Rejects)
	}
	rec, err := batches.Output(context.Background(), h.Mem, in, res, res.Rejects, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != 1 || rec.Column(0).ValueStr(0) != "Ada Lovelace" || rec.Column(1).ValueStr(0) != "LOVELACE" || rec.Column(3).ValueStr(0) != "Ada" {
		t.Errorf("output %v", rec)
	}
	reads, passes := tr.(sdk.Projector).Columns()
	if fmt.Sprint(reads, passes) != "[first last n] [-1 -1 -1 0]" {
		t.Errorf("Columns() = %v, %v", reads, passes)
	}
}

// An expression that merely names a column passes it on, and is no reason
// to send that column to a plugin process.
func TestColumnsOfARename(t *testing.T) {
	h := testhost.New(t)
	tr, _, err := open(t, h, map[string]string{"given": "first", "shout": "upper(last)"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	reads, passes := tr.(sdk.Projector).Columns()
	if fmt.Sprint(reads, passes) != "[last] [0 1 2 0 -1]" {
		t.Errorf("Columns() = %v, %v", reads, passes)
	}
}

func TestMistakesNameTheirPlace(t *testing.T) {
	h := testhost.New(t)
	_, _, err := open(t, h, map[string]string{"x": "first + 1", "y": "nope"},
		map[string][]string{"drop": {"missing"}, "keep": {"x", "ghost"}}, map[string]string{"gone": "g"})
	var diags sdk.Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("error %v", err)
	}
	var paths []string
	for _, d := range diags {
		paths = append(paths, d.Path.String())
	}
	want := "columns.x columns.y drop.0 rename.gone keep.1"
	if strings.Join(paths, " ") != want {
		t.Errorf("diagnostic paths %v, want %s", paths, want)
	}
}
