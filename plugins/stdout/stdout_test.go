package stdout

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

func sample(t *testing.T, h *testhost.Host) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(h.Allocator(), schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 22, 333}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"Zoë", "a rather long name that goes on", "two\nlines"}, nil)
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{1.5, 0, 1e21}, []bool{true, false, true})
	return b.NewRecordBatch()
}

func run(t *testing.T, body string) string {
	t.Helper()
	var out bytes.Buffer
	h := testhost.New(t)
	rec := sample(t, h)
	defer rec.Release()
	snk := testhost.MustBuild[sdk.Sink](t, SinkTo(&out), body)
	if err := snk.Open(context.Background(), h, rec.Schema()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := snk.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestTable(t *testing.T) {
	got := run(t, `format = "table"`+"\nmax_width = 12")
	want := "" +
		"id  | name         | value\n" +
		"----+--------------+------\n" +
		"  1 | Zoë          |   1.5\n" +
		" 22 | a rather lo… |  NULL\n" +
		"333 | two\\nlines   | 1e+21\n" +
		"  1 | Zoë          |   1.5\n" +
		" 22 | a rather lo… |  NULL\n" +
		"333 | two\\nlines   | 1e+21\n"
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestJSONLinesWhenNotATerminal(t *testing.T) {
	got := run(t, "")
	want := `{"id":1,"name":"Zoë","value":1.5}` + "\n" +
		`{"id":22,"name":"a rather long name that goes on","value":null}` + "\n" +
		`{"id":333,"name":"two\nlines","value":1e+21}` + "\n"
	if got != want+want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want+want)
	}
}

func TestConfigMistakes(t *testing.T) {
	for body, path := range map[string]string{`format = "xml"`: "format", `max_width = 2`: "max_width"} {
		_, err := testhost.Build(t, Sink, body)
		var diags sdk.Diagnostics
		if !errors.As(err, &diags) || diags[0].Path.String() != path {
			t.Errorf("%s: %v", body, err)
		}
	}
}
