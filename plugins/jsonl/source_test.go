package jsonl

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/coltype"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

func rowsOf(e *testhost.Emitter) []string {
	var out []string
	for _, b := range e.Batches {
		rec := b.Record
		for r := range int(rec.NumRows()) {
			var row []string
			for c := range int(rec.NumCols()) {
				if rec.Column(c).IsNull(r) {
					row = append(row, "∅")
				} else {
					row = append(row, rec.Column(c).ValueStr(r))
				}
			}
			out = append(out, strings.Join(row, "|"))
		}
	}
	return out
}

func rejectsOf(e *testhost.Emitter) []sdk.RowError {
	var out []sdk.RowError
	base := 0
	for _, b := range e.Batches {
		for _, r := range b.Rejects {
			r.Row += base
			out = append(out, r)
		}
		base += int(b.Record.NumRows())
	}
	return out
}

func TestInferenceFromJSONTypes(t *testing.T) {
	path := writeFile(t, "", "in.jsonl", strings.Join([]string{
		`{"id": 1, "score": 1, "ok": true, "at": "2024-05-01T10:00:00Z", "day": "2024-05-01", "name": "a", "tags": ["x"], "meta": {"k": 1}, "mixed": 1, "code": "007"}`,
		`{"id": 2, "score": 2.5, "ok": false, "at": "2024-05-02", "day": null, "name": "b", "tags": [], "meta": {}, "mixed": "one", "code": "8", "late": 1}`,
	}, "\n")+"\n")
	src, schema := openSource(t, fmt.Sprintf("path = %q", path))
	want := []struct {
		name string
		typ  arrow.DataType
	}{
		{"id", arrow.PrimitiveTypes.Int64}, {"score", arrow.PrimitiveTypes.Float64}, {"ok", arrow.FixedWidthTypes.Boolean},
		{"at", coltype.Timestamp}, {"day", arrow.FixedWidthTypes.Date32}, {"name", arrow.BinaryTypes.String},
		{"tags", arrow.BinaryTypes.String}, {"meta", arrow.BinaryTypes.String}, {"mixed", arrow.BinaryTypes.String},
		{"code", arrow.BinaryTypes.String}, {"late", arrow.PrimitiveTypes.Int64},
	}
	if schema.NumFields() != len(want) {
		t.Fatalf("schema: %s", schema)
	}
	for i, w := range want {
		if f := schema.Field(i); f.Name != w.name || !arrow.TypeEqual(f.Type, w.typ) {
			t.Errorf("field %d: %s %v; want %s %v", i, f.Name, f.Type, w.name, w.typ)
		}
	}
	e := readAll(t, src, nil)
	got := rowsOf(e)
	if got[0] != `1|1|true|2024-05-01T10:00:00Z|2024-05-01|a|["x"]|{"k": 1}|1|007|∅` {
		t.Errorf("row 0: %s", got[0])
	}
}

func TestMalformedLinesAndValuesAreRejected(t *testing.T) {
	content := `{"id": 1, "name": "ann", "at": "2024-05-01T00:00:00Z"}` + "\n" + // line 1
		`{"id": 2, "name": "bob"` + "\n" + // 2: unterminated
		"\n" + // 3: blank
		`[1, 2]` + "\n" + // 4: not an object
		`{"id": "three", "name": "cat"}` + "\n" + // 5: not an int64
		`{"id": 4, "name": 5, "at": "yesterday"}` + "\n" + // 6: a number is text; a bad timestamp
		`{"id": 5, "name": "esc \"q\" \u00e9 \ud83d\ude00", "extra": {"ignored": true}}` + "\n" + // 7
		`{"id": 6, "id": 7, "name": null}` // 8: the last duplicate wins; no final line break
	path := writeFile(t, "", "bad.jsonl", content)
	src, _ := openSource(t, fmt.Sprintf("path = %q\nschema = { id = \"int64\", at = \"timestamp\" }\ninfer_rows = 1", path))
	e := readAll(t, src, nil)
	wantRows := []string{
		"1|ann|2024-05-01T00:00:00Z",
		"∅|∅|∅",
		"∅|∅|∅",
		"∅|cat|∅",
		"4|5|∅",
		`5|esc "q" é 😀|∅`,
		"7|∅|∅",
	}
	if got := rowsOf(e); strings.Join(got, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
	}
	want := []struct {
		row  int
		code string
		msg  string
	}{
		{1, CodeParse, ":2: invalid JSON: unexpected end of line"},
		{2, CodeParse, ":4: invalid JSON: a line must be a JSON object"},
		{3, CodeConvert, `:5: key "id": string "three" is not an int64`},
		{4, CodeConvert, `:6: key "at": string "yesterday" is not a timestamp`},
	}
	got := rejectsOf(e)
	if len(got) != len(want) {
		t.Fatalf("rejects: %v", got)
	}
	for i, w := range want {
		if got[i].Row != w.row || got[i].Code != w.code || !strings.Contains(got[i].Message, path+w.msg) {
			t.Errorf("reject %d: %+v; want row %d %s %q", i, got[i], w.row, w.code, w.msg)
		}
	}
}

func TestCheckpointResume(t *testing.T) {
	dir := t.TempDir()
	for f := range 3 {
		var b strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&b, "{\"n\": %d, \"s\": \"v%d\"}\n", f*1000+i, i)
		}
		writeFile(t, dir, fmt.Sprintf("part-%d.jsonl", f), b.String())
	}
	body := fmt.Sprintf("path = %q\nbatch_rows = 128", filepath.Join(dir, "*.jsonl"))
	src, _ := openSource(t, body)
	all := rowsOf(readAll(t, src, nil))
	if len(all) != 3000 || all[2999] != "2999|v999" {
		t.Fatalf("read %d rows, last %q", len(all), all[len(all)-1])
	}
	for _, stop := range []int{1, 7, 8, 9, 20} {
		src, _ := openSource(t, body)
		first := &testhost.Emitter{StopAfter: stop}
		if err := src.Read(context.Background(), nil, first); !errors.Is(err, testhost.ErrStop) {
			t.Fatal(err)
		}
		t.Cleanup(first.Release)
		rest := readAll(t, src, first.Batches[len(first.Batches)-1].Checkpoint)
		got := append(rowsOf(first), rowsOf(rest)...)
		if strings.Join(got, "\n") != strings.Join(all, "\n") {
			t.Errorf("stopping after %d batches and resuming: %d rows", stop, len(got))
		}
	}
}

func TestCancellationWithoutLeaks(t *testing.T) {
	testhost.NoGoroutineLeaks(t)
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, "{\"n\": %d}\n", i)
	}
	path := writeFile(t, "", "n.jsonl", b.String())
	src, _ := openSource(t, fmt.Sprintf("path = %q\nbatch_rows = 50", path))
	ctx, cancel := context.WithCancel(context.Background())
	e := &testhost.Emitter{OnEmit: func(sdk.Batch) { cancel() }}
	defer e.Release()
	if err := src.Read(ctx, nil, e); !errors.Is(err, context.Canceled) {
		t.Errorf("Read returned %v", err)
	}
}

func TestConfigAndOpenMistakes(t *testing.T) {
	_, err := testhost.Build(t, Source, `path = "x.jsonl"`+"\nschema = { a = \"nope\" }")
	var diags sdk.Diagnostics
	if !errors.As(err, &diags) || diags[0].Path.String() != "schema.a" {
		t.Errorf("bad type: %v", err)
	}
	empty := writeFile(t, "", "empty.jsonl", "\n\n")
	src := testhost.MustBuild[sdk.Source](t, Source, fmt.Sprintf("path = %q", empty))
	if _, err := src.Open(context.Background(), testhost.New(t)); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("empty file: %v", err)
	}
	src, schema := openSource(t, fmt.Sprintf("path = %q\nschema = { a = \"int64\" }", empty))
	if schema.NumFields() != 1 {
		t.Errorf("declared columns of an empty file: %s", schema)
	}
	if e := readAll(t, src, nil); e.Rows() != 0 {
		t.Errorf("read %d rows from an empty file", e.Rows())
	}
}
