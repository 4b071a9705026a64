package chunkread

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/fileset"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// lines is a format whose records are lines holding a number.
type lines struct{ host *testhost.Host }

var schema = arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)

func (lines) RecordEnd(buf []byte, pos int, atEOF bool) (int, End) {
	nl := bytes.IndexByte(buf[pos:], '\n')
	switch {
	case nl == 0:
		return pos + 1, Blank
	case nl > 0:
		return pos + nl + 1, Record
	case atEOF:
		return len(buf), Record
	}
	return pos, NeedMore
}

func (lines) Header(*os.File, string) (any, int64, int64, error) { return nil, 0, 1, nil }

func (l lines) NewDecoder() Decoder { return l }

func (l lines) Decode(c *Chunk) sdk.Batch {
	b := array.NewInt64Builder(l.host.Allocator())
	defer b.Release()
	for _, f := range bytes.Fields(c.Data) {
		n, _ := strconv.ParseInt(string(f), 10, 64)
		b.Append(n)
	}
	col := b.NewArray()
	defer col.Release()
	return sdk.Batch{Record: array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len())), Checkpoint: c.End.Encode()}
}

func numbers(e *testhost.Emitter) []int64 {
	var out []int64
	for _, r := range e.Records() {
		out = append(out, r.Column(0).(*array.Int64).Int64Values()...)
	}
	return out
}

func TestOrderCheckpointsAndResume(t *testing.T) {
	h := testhost.New(t)
	dir := t.TempDir()
	var files []string
	next := 0
	for f := range 3 {
		var b bytes.Buffer
		for range 1000 + f*17 {
			fmt.Fprintf(&b, "%d\n", next)
			if next%100 == 0 {
				b.WriteString("\n") // blank lines count as lines, not records
			}
			next++
		}
		p := filepath.Join(dir, fmt.Sprintf("%d.txt", f))
		os.WriteFile(p, b.Bytes(), 0o644)
		files = append(files, p)
	}
	opts := Options{Files: files, BatchRows: 64, Workers: 4}
	all := &testhost.Emitter{}
	defer all.Release()
	if err := Read(context.Background(), opts, lines{h}, nil, all); err != nil {
		t.Fatal(err)
	}
	got := numbers(all)
	for i, n := range got {
		if n != int64(i) {
			t.Fatalf("value %d is %d: out of order", i, n)
		}
	}
	if len(got) != next {
		t.Fatalf("%d values, want %d", len(got), next)
	}
	last, _ := fileset.DecodePosition(all.Batches[len(all.Batches)-1].Checkpoint)
	if last.File != files[2] || last.Line != 1034+11 {
		t.Errorf("last checkpoint %+v", last)
	}
	for _, stop := range []int{1, 15, 16, 17, 40} {
		first := &testhost.Emitter{StopAfter: stop}
		if err := Read(context.Background(), opts, lines{h}, nil, first); !errors.Is(err, testhost.ErrStop) {
			t.Fatal(err)
		}
		rest := &testhost.Emitter{}
		if err := Read(context.Background(), opts, lines{h}, first.Batches[stop-1].Checkpoint, rest); err != nil {
			t.Fatal(err)
		}
		resumed := append(numbers(first), numbers(rest)...)
		first.Release()
		rest.Release()
		if fmt.Sprint(resumed) != fmt.Sprint(got) {
			t.Errorf("resume after %d batches: %d values", stop, len(resumed))
		}
	}
}

func TestCancelAndErrorsDoNotLeak(t *testing.T) {
	testhost.NoGoroutineLeaks(t)
	h := testhost.New(t)
	var b bytes.Buffer
	for i := range 100000 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	p := filepath.Join(t.TempDir(), "n.txt")
	os.WriteFile(p, b.Bytes(), 0o644)
	opts := Options{Files: []string{p, filepath.Join(t.TempDir(), "missing.txt")}, BatchRows: 10, Workers: 2}

	ctx, cancel := context.WithCancel(context.Background())
	e := &testhost.Emitter{OnEmit: func(sdk.Batch) { cancel() }}
	if err := Read(ctx, opts, lines{h}, nil, e); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Read returned %v", err)
	}
	e.Release()

	opts.BatchRows = 50000
	e = &testhost.Emitter{}
	err := Read(context.Background(), opts, lines{h}, nil, e)
	if !errors.Is(err, os.ErrNotExist) || e.Rows() != 100000 {
		t.Errorf("a missing second file: %v after %d rows", err, e.Rows())
	}
	e.Release()
}
