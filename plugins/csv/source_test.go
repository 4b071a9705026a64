package csv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/plugins/internal/coltype"
	"github.com/sluicedata/sluice/plugins/internal/fileset"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// cells renders every row read as "a|b|c", nulls as ∅, for comparisons.
func cells(t *testing.T, e *testhost.Emitter) []string {
	t.Helper()
	var out []string
	for _, b := range e.Batches {
		rec := b.Record
		for r := range int(rec.NumRows()) {
			var row []string
			for c := range int(rec.NumCols()) {
				col := rec.Column(c)
				if col.IsNull(r) {
					row = append(row, "∅")
				} else {
					row = append(row, col.ValueStr(r))
				}
			}
			out = append(out, strings.Join(row, "|"))
		}
	}
	return out
}

// rejects lists the row errors of every batch, with rows numbered across
// batches.
func rejects(e *testhost.Emitter) []sdk.RowError {
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

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestQuotedFieldsWithDelimitersNewlinesAndQuotes(t *testing.T) {
	path := writeFile(t, "", "q.csv", "id,note,city\r\n"+
		"1,\"a, b\",Paris\r\n"+
		"2,\"line one\nline two\",\"Berlin\"\r\n"+
		"3,\"she said \"\"hi\"\"\",\"\"\r\n"+
		"4,plain,Rome") // no final line break
	src, schema, _ := openSource(t, fmt.Sprintf("path = %q", path))
	if got := schema.Field(0).Type; !arrow.TypeEqual(got, arrow.PrimitiveTypes.Int64) {
		t.Errorf("id inferred as %v", got)
	}
	e := readAll(t, src, nil)
	equalLines(t, cells(t, e), []string{
		"1|a, b|Paris",
		"2|line one\nline two|Berlin",
		`3|she said "hi"|`,
		"4|plain|Rome",
	})
	if r := rejects(e); len(r) != 0 {
		t.Errorf("unexpected rejects: %v", r)
	}
}

func TestMalformedLinesAreRejectedWithTheirLineNumbers(t *testing.T) {
	content := "id,name,amount\n" + // line 1
		"1,ann,1.5\n" + // 2
		"2,bob\n" + // 3: too few fields
		"3,\"multi\nline\",2.5\n" + // 4-5
		"4,cat,lots\n" + // 6: does not convert
		"5,\"bad\"quote,3\n" + // 7: text after a closing quote
		"6,dan,4,extra\n" + // 8: too many fields
		"\n" + // 9: blank, skipped
		"7,eve,5\n" // 10
	path := writeFile(t, "", "bad.csv", content)
	src, _, _ := openSource(t, fmt.Sprintf("path = %q\nschema = { amount = \"float64\" }", path))
	e := readAll(t, src, nil)
	equalLines(t, cells(t, e), []string{
		"1|ann|1.5",
		"∅|∅|∅",
		"3|multi\nline|2.5",
		"4|cat|∅",
		"∅|∅|∅",
		"∅|∅|∅",
		"7|eve|5",
	})
	got := rejects(e)
	want := []struct {
		row  int
		code string
		msg  string
	}{
		{1, CodeFields, path + `:3: 2 fields, want 3: "2,bob"`},
		{3, CodeConvert, path + `:6: column "amount": "lots" is not a float64`},
		{4, CodeQuote, path + `:7: bad quoting in field 2 (column "name")`},
		{5, CodeFields, path + `:8: 4 fields, want 3`},
	}
	if len(got) != len(want) {
		t.Fatalf("rejects: %v", got)
	}
	for i, w := range want {
		if got[i].Row != w.row || got[i].Code != w.code || !strings.HasPrefix(got[i].Message, w.msg) {
			t.Errorf("reject %d = %+v; want row %d, code %s, message starting %q", i, got[i], w.row, w.code, w.msg)
		}
	}
}

func TestUnterminatedQuoteRejectsOneRowAtTheEnd(t *testing.T) {
	path := writeFile(t, "", "open.csv", "a,b\n1,x\n2,\"never closed\n3,y\n")
	src, _, _ := openSource(t, fmt.Sprintf("path = %q", path))
	e := readAll(t, src, nil)
	equalLines(t, cells(t, e), []string{"1|x", "∅|∅"})
	if r := rejects(e); len(r) != 1 || r[0].Code != CodeQuote || !strings.Contains(r[0].Message, ":3:") {
		t.Errorf("rejects: %v", r)
	}
}

func TestInference(t *testing.T) {
	path := writeFile(t, "", "types.csv", strings.Join([]string{
		"i,f,b,ts,d,s,empty,mixed,big",
		"1,1.5,true,2024-01-02T03:04:05Z,2024-01-02,x,,1,9223372036854775807",
		"-2,2,FALSE,2024-01-02T03:04:05.5+01:00,2024-02-29,,,a,1",
		",,,,,y,,2024-01-01,",
	}, "\n")+"\n")
	_, schema, _ := openSource(t, fmt.Sprintf("path = %q", path))
	want := map[string]arrow.DataType{
		"i": arrow.PrimitiveTypes.Int64, "f": arrow.PrimitiveTypes.Float64, "b": arrow.FixedWidthTypes.Boolean,
		"ts": coltype.Timestamp, "d": arrow.FixedWidthTypes.Date32, "s": arrow.BinaryTypes.String,
		"empty": arrow.BinaryTypes.String, "mixed": arrow.BinaryTypes.String, "big": arrow.PrimitiveTypes.Int64,
	}
	for _, f := range schema.Fields() {
		if !arrow.TypeEqual(f.Type, want[f.Name]) {
			t.Errorf("column %s inferred as %v; want %v", f.Name, f.Type, want[f.Name])
		}
	}
}

func TestInferenceSampleSizeAndLaterMisfits(t *testing.T) {
	var b strings.Builder
	b.WriteString("n\n")
	for i := range 100 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	b.WriteString("1.5\n") // line 102, after the sample of 100 rows
	path := writeFile(t, "", "n.csv", b.String())
	src, schema, _ := openSource(t, fmt.Sprintf("path = %q\ninfer_rows = 100", path))
	if !arrow.TypeEqual(schema.Field(0).Type, arrow.PrimitiveTypes.Int64) {
		t.Fatalf("inferred %v", schema.Field(0).Type)
	}
	e := readAll(t, src, nil)
	r := rejects(e)
	if len(r) != 1 || r[0].Row != 100 || !strings.Contains(r[0].Message, `:102: column "n": "1.5" is not an int64`) {
		t.Errorf("rejects: %v", r)
	}
	_, schema, _ = openSource(t, fmt.Sprintf("path = %q\ninfer_rows = 1000", path))
	if !arrow.TypeEqual(schema.Field(0).Type, arrow.PrimitiveTypes.Float64) {
		t.Errorf("with a larger sample inferred %v", schema.Field(0).Type)
	}
}

func TestNullMarkers(t *testing.T) {
	content := "name,n\n" +
		",\n" + // empty: "" for text, null for numbers
		"\"\",\"\"\n" + // quoted empty: the same
		"NULL,NULL\n" +
		"\"NULL\",1\n" // quoted markers are values
	path := writeFile(t, "", "nulls.csv", content)

	src, _, _ := openSource(t, fmt.Sprintf("path = %q\nschema = { n = \"int64\" }", path))
	e := readAll(t, src, nil)
	equalLines(t, cells(t, e), []string{"|∅", "|∅", "NULL|∅", "NULL|1"})
	if r := rejects(e); len(r) != 1 || !strings.Contains(r[0].Message, `"NULL" is not an int64`) {
		t.Errorf("without null_values, NULL in a number column is rejected: %v", r)
	}

	src, _, _ = openSource(t, fmt.Sprintf("path = %q\nschema = { n = \"int64\" }\nnull_values = [\"\", \"NULL\"]", path))
	e = readAll(t, src, nil)
	equalLines(t, cells(t, e), []string{"∅|∅", "|∅", "∅|∅", "NULL|1"})
	if r := rejects(e); len(r) != 0 {
		t.Errorf("rejects: %v", r)
	}
}

func TestDeclaredSchemaPartialAndErrors(t *testing.T) {
	path := writeFile(t, "", "s.csv", "customer_id,updated_at,score\n1,2024-05-01T00:00:00Z,3\n")
	_, schema, _ := openSource(t, fmt.Sprintf("path = %q\nschema = { customer_id = \"string\", score = \"float64\" }", path))
	want := []arrow.DataType{arrow.BinaryTypes.String, coltype.Timestamp, arrow.PrimitiveTypes.Float64}
	for i, f := range schema.Fields() {
		if !arrow.TypeEqual(f.Type, want[i]) {
			t.Errorf("%s: %v; want %v", f.Name, f.Type, want[i])
		}
	}

	_, err := testhost.Build(t, Source, fmt.Sprintf("path = %q\nschema = { x = \"integer128\" }", path))
	var diags sdk.Diagnostics
	if !errors.As(err, &diags) || diags[0].Path.String() != "schema.x" {
		t.Errorf("a bad type name: %v", err)
	}
	src := testhost.MustBuild[sdk.Source](t, Source, fmt.Sprintf("path = %q\nschema = { nope = \"int64\" }", path))
	_, err = src.Open(context.Background(), testhost.New(t))
	if !errors.As(err, &diags) || diags[0].Path.String() != "schema.nope" || !strings.Contains(err.Error(), `"customer_id", "updated_at", "score"`) {
		t.Errorf("an unknown column: %v", err)
	}
}

func TestConfigMistakes(t *testing.T) {
	for body, path := range map[string]string{
		`path = "x.csv"` + "\ndelimiter = \";;\"":                       "delimiter",
		`path = "x.csv"` + "\nquote = \",\"":                            "quote",
		`path = "x.csv"` + "\nbatch_rows = 0":                           "batch_rows",
		`path = "x.csv"` + "\ncolumns = [\"a\"]":                        "columns",
		`path = "x.csv"` + "\nheader = false\ncolumns = [\"a\", \"a\"]": "columns",
	} {
		_, err := testhost.Build(t, Source, body)
		var diags sdk.Diagnostics
		if !errors.As(err, &diags) || diags[0].Path.String() != path {
			t.Errorf("%s: got %v; want a diagnostic at %s", body, err, path)
		}
	}
	src := testhost.MustBuild[sdk.Source](t, Source, `path = "/nonexistent/*.csv"`)
	if _, err := src.Open(context.Background(), testhost.New(t)); err == nil || !strings.Contains(err.Error(), "no file matches") {
		t.Errorf("no match: %v", err)
	}
}

func TestNoHeaderTabsBOMAndCRLF(t *testing.T) {
	path := writeFile(t, "", "t.tsv", "\xef\xbb\xbf1\tx y\r\n2\tz\r\n")
	src, schema, _ := openSource(t, fmt.Sprintf("path = %q\nheader = false\ndelimiter = \"\\t\"", path))
	if schema.Field(0).Name != "column_1" || schema.Field(1).Name != "column_2" || !arrow.TypeEqual(schema.Field(0).Type, arrow.PrimitiveTypes.Int64) {
		t.Errorf("schema: %s", schema)
	}
	equalLines(t, cells(t, readAll(t, src, nil)), []string{"1|x y", "2|z"})

	src, schema, _ = openSource(t, fmt.Sprintf("path = %q\nheader = false\ndelimiter = \"\\t\"\ncolumns = [\"id\", \"name\"]", path))
	if schema.Field(0).Name != "id" || schema.Field(1).Name != "name" {
		t.Errorf("schema: %s", schema)
	}
	equalLines(t, cells(t, readAll(t, src, nil)), []string{"1|x y", "2|z"})

	path = writeFile(t, "", "h.csv", "\xef\xbb\xbfid,name\r\n1,a\r\n")
	_, schema, _ = openSource(t, fmt.Sprintf("path = %q", path))
	if schema.Field(0).Name != "id" {
		t.Errorf("the byte order mark is part of the first name: %q", schema.Field(0).Name)
	}
}

func TestQuotingDisabled(t *testing.T) {
	path := writeFile(t, "", "nq.csv", "a,b\n\"x,\"y\"\n")
	src, _, _ := openSource(t, fmt.Sprintf("path = %q\nquote = \"\"", path))
	equalLines(t, cells(t, readAll(t, src, nil)), []string{`"x|"y"`})
}

func TestGlobReadsFilesInNameOrderWithOneSchema(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "part-2.csv", "id,name\n3,c\n4,d\n")
	writeFile(t, dir, "part-1.csv", "id,name\n1,a\n2,b\n")
	writeFile(t, dir, "part-3.csv", "name,id\ne,5\n") // columns in another order
	writeFile(t, dir, "other.txt", "not csv")
	src, _, _ := openSource(t, fmt.Sprintf("path = %q\nbatch_rows = 1", filepath.Join(dir, "part-*.csv")))
	e := readAll(t, src, nil)
	equalLines(t, cells(t, e), []string{"1|a", "2|b", "3|c", "4|d", "5|e"})
	last, err := fileset.DecodePosition(e.Batches[len(e.Batches)-1].Checkpoint)
	if err != nil || last.File != filepath.Join(dir, "part-3.csv") || last.Line != 3 {
		t.Errorf("last checkpoint %+v, %v", last, err)
	}

	writeFile(t, dir, "part-4.csv", "id,email\n6,f\n")
	src, _, _ = openSource(t, fmt.Sprintf("path = %q", filepath.Join(dir, "part-*.csv")))
	partial := &testhost.Emitter{}
	defer partial.Release()
	err = src.Read(context.Background(), nil, partial)
	if err == nil || !strings.Contains(err.Error(), "part-4.csv has columns") {
		t.Errorf("a file with other columns: %v", err)
	}
}

// segmentFileForTest writes a generated segment and returns its path.
func segmentFileForTest(t *testing.T, rows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "segment.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := segment.Write(f, segment.Options{Rows: rows, Seed: 42}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func TestCheckpointResumeReadsExactlyTheRest(t *testing.T) {
	dir := t.TempDir()
	seg := segmentFileForTest(t, 10000)
	data, _ := os.ReadFile(seg)
	// Two files, so resuming crosses a file boundary too.
	lines := strings.SplitAfter(string(data), "\n")
	header := lines[0]
	writeFile(t, dir, "a.csv", strings.Join(lines[:6001], ""))
	writeFile(t, dir, "b.csv", header+strings.Join(lines[6001:], ""))
	body := fmt.Sprintf("path = %q\nbatch_rows = 700", filepath.Join(dir, "*.csv"))

	src, _, _ := openSource(t, body)
	all := readAll(t, src, nil)
	if all.Rows() != 10000 {
		t.Fatalf("read %d rows", all.Rows())
	}
	full := cells(t, all)

	for _, stopAfter := range []int{1, 7, 8, 9, len(all.Batches) - 1, len(all.Batches)} {
		src, _, _ := openSource(t, body)
		first := &testhost.Emitter{StopAfter: stopAfter}
		err := src.Read(context.Background(), nil, first)
		if stopAfter < len(all.Batches) && !errors.Is(err, testhost.ErrStop) {
			t.Fatalf("Read stopped by the emitter returned %v", err)
		}
		t.Cleanup(first.Release)
		cp := first.Batches[len(first.Batches)-1].Checkpoint
		rest := readAll(t, src, cp)
		got := append(cells(t, first), cells(t, rest)...)
		if len(got) != len(full) {
			t.Fatalf("stop after %d batches: %d + %d rows; want %d", stopAfter, first.Rows(), rest.Rows(), len(full))
		}
		equalLines(t, got, full)
	}
}

func TestParallelDecodeKeepsOrderAndMatchesSegment(t *testing.T) {
	seg := segmentFileForTest(t, 20000)
	src, schema, _ := openSource(t, fmt.Sprintf("path = %q\nbatch_rows = 333", seg))
	e := readAll(t, src, nil)
	if r := rejects(e); len(r) != 0 {
		t.Fatalf("rejects: %v", r[0])
	}
	rec := testhost.Concat(t, e.Records())
	defer rec.Release()
	if rec.NumRows() != 20000 {
		t.Fatalf("%d rows", rec.NumRows())
	}
	ids := rec.Column(0).(*array.Int64)
	for i := range ids.Len() {
		if ids.Value(i) != int64(1_000_000+i) {
			t.Fatalf("row %d has customer_id %d: batches out of order", i, ids.Value(i))
		}
	}
	wantTypes := []string{"int64", "string", "string", "string", "string", "string", "string", "string", "string", "float64", "bool", "timestamp", "string"}
	for i, f := range schema.Fields() {
		if coltype.Name(f.Type) != wantTypes[i] || f.Name != segment.Header[i] {
			t.Errorf("column %d: %s %s", i, f.Name, coltype.Name(f.Type))
		}
	}
}

func TestCancellationStopsPromptlyWithoutLeaks(t *testing.T) {
	testhost.NoGoroutineLeaks(t)
	seg := segmentFileForTest(t, 50000)
	src, _, _ := openSource(t, fmt.Sprintf("path = %q\nbatch_rows = 100", seg))
	ctx, cancel := context.WithCancel(context.Background())
	e := &testhost.Emitter{OnEmit: func(b sdk.Batch) {
		cancel()
	}}
	err := src.Read(ctx, nil, e)
	defer e.Release()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel returned %v", err)
	}
	if len(e.Batches) > 2 {
		t.Errorf("%d batches emitted after cancelling", len(e.Batches))
	}
}

func TestEmitFailureStopsReadWithoutLeaks(t *testing.T) {
	testhost.NoGoroutineLeaks(t)
	seg := segmentFileForTest(t, 50000)
	src, _, _ := openSource(t, fmt.Sprintf("path = %q\nbatch_rows = 100", seg))
	e := &testhost.Emitter{StopAfter: 3}
	err := src.Read(context.Background(), nil, e)
	defer e.Release()
	if !errors.Is(err, testhost.ErrStop) || len(e.Batches) != 3 {
		t.Errorf("Read returned %v after %d batches", err, len(e.Batches))
	}
}

func TestInvalidUTF8IsRejected(t *testing.T) {
	path := writeFile(t, "", "latin1.csv", "name,n\ncaf\xe9,1\ncafe,2\n")
	src, _, _ := openSource(t, fmt.Sprintf("path = %q", path))
	e := readAll(t, src, nil)
	if r := rejects(e); len(r) != 1 || r[0].Row != 0 || !strings.Contains(r[0].Message, "not valid UTF-8") {
		t.Errorf("rejects: %v", r)
	}
}

func TestRecordLongerThanTheLimitIsAnError(t *testing.T) {
	var b strings.Builder
	b.WriteString("a\n1\n\"")
	b.WriteString(strings.Repeat("x", maxRecordBytes+1))
	path := writeFile(t, "", "huge.csv", b.String())
	src, _, _ := openSource(t, fmt.Sprintf("path = %q\ninfer_rows = 1", path))
	e := &testhost.Emitter{}
	defer e.Release()
	err := src.Read(context.Background(), nil, e)
	if err == nil || !strings.Contains(err.Error(), "closing quote missing") {
		t.Errorf("Read returned %v", err)
	}
}
