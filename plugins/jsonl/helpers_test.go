package jsonl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func openSource(t testing.TB, body string) (sdk.Source, *arrow.Schema) {
	t.Helper()
	src := testhost.MustBuild[sdk.Source](t, Source, body)
	schema, err := src.Open(context.Background(), testhost.New(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return src, schema
}

func readAll(t testing.TB, src sdk.Source, from sdk.Checkpoint) *testhost.Emitter {
	t.Helper()
	e := &testhost.Emitter{}
	if err := src.Read(context.Background(), from, e); err != nil {
		t.Fatalf("Read: %v", err)
	}
	t.Cleanup(e.Release)
	return e
}

// writeRecords writes records through the jsonl sink and returns the file.
func writeRecords(t testing.TB, path string, schema *arrow.Schema, recs ...arrow.RecordBatch) []byte {
	t.Helper()
	snk := testhost.MustBuild[sdk.Sink](t, Sink, fmt.Sprintf("path = %q", path))
	if err := snk.Open(context.Background(), testhost.New(t), schema); err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		res, err := snk.Write(context.Background(), rec)
		if err != nil || len(res.Rejects) > 0 {
			t.Fatalf("Write: %v %v", res, err)
		}
	}
	if err := snk.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
