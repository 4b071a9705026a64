package csv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// writeFile writes content to name in a temporary directory and returns the
// path.
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

// openSource builds and opens a csv source from a config body.
func openSource(t testing.TB, body string) (sdk.Source, *arrow.Schema, *testhost.Host) {
	t.Helper()
	h := testhost.New(t)
	src := testhost.MustBuild[sdk.Source](t, Source, body)
	schema, err := src.Open(context.Background(), h)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { src.Close(context.Background()) })
	return src, schema, h
}

// readAll reads the source from a checkpoint and returns what it emitted;
// the records are released when the test ends.
func readAll(t testing.TB, src sdk.Source, from sdk.Checkpoint) *testhost.Emitter {
	t.Helper()
	e := &testhost.Emitter{}
	if err := src.Read(context.Background(), from, e); err != nil {
		t.Fatalf("Read: %v", err)
	}
	t.Cleanup(e.Release)
	return e
}
