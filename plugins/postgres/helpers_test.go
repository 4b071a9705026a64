package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/postgres"
	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
	"github.com/sluicedata/sluice/sdk"
)

var server *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &server)) }

// result is what one Read emitted.
type result struct {
	schema  *arrow.Schema
	batches []sdk.Batch
	em      *testhost.Emitter
}

// rows renders the emitted rows that were not rejected, columns joined by
// "|", values as Arrow's ValueStr prints them.
func (r *result) rows() []string {
	var out []string
	for _, b := range r.batches {
		rejected := map[int]bool{}
		for _, e := range b.Rejects {
			rejected[e.Row] = true
		}
		for i := 0; i < int(b.Record.NumRows()); i++ {
			if rejected[i] {
				continue
			}
			cols := make([]string, b.Record.NumCols())
			for c, col := range b.Record.Columns() {
				cols[c] = col.ValueStr(i)
			}
			out = append(out, strings.Join(cols, "|"))
		}
	}
	return out
}

func (r *result) rejects() []sdk.RowError {
	var out []sdk.RowError
	for _, b := range r.batches {
		out = append(out, b.Rejects...)
	}
	return out
}

// last is the last non-nil checkpoint emitted, as the engine keeps it.
func (r *result) last() sdk.Checkpoint {
	var cp sdk.Checkpoint
	for _, b := range r.batches {
		if b.Checkpoint != nil {
			cp = b.Checkpoint
		}
	}
	return cp
}

// open builds and opens a postgres source from body.
func open(t *testing.T, body string) (sdk.Source, *arrow.Schema, error) {
	t.Helper()
	src := testhost.MustBuild[sdk.Source](t, postgres.Source, body)
	t.Cleanup(func() {
		if err := src.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	schema, err := src.Open(context.Background(), testhost.New(t))
	return src, schema, err
}

// read opens a source from body and reads it from a checkpoint.
func read(t *testing.T, body string, from sdk.Checkpoint) *result {
	t.Helper()
	src, schema, err := open(t, body)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	em := &testhost.Emitter{}
	t.Cleanup(em.Release)
	if err := src.Read(context.Background(), from, em); err != nil {
		t.Fatalf("read: %v", err)
	}
	return &result{schema: schema, batches: em.Batches, em: em}
}

// config is the body of a source block for the database at url.
func config(url, query string, extra ...string) string {
	return fmt.Sprintf("url = %q\nquery = %q\n%s", url, query, strings.Join(extra, "\n"))
}
