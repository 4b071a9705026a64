//go:build cgo

package duckdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/duckdb"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

type result struct {
	schema  *arrow.Schema
	batches []sdk.Batch
}

func (r *result) rows() []string {
	var out []string
	for _, b := range r.batches {
		for i := 0; i < int(b.Record.NumRows()); i++ {
			cols := make([]string, b.Record.NumCols())
			for c, col := range b.Record.Columns() {
				cols[c] = col.ValueStr(i)
			}
			out = append(out, strings.Join(cols, "|"))
		}
	}
	return out
}

func (r *result) last() sdk.Checkpoint {
	var cp sdk.Checkpoint
	for _, b := range r.batches {
		if b.Checkpoint != nil {
			cp = b.Checkpoint
		}
	}
	return cp
}

func open(t *testing.T, body string) (sdk.Source, *arrow.Schema, error) {
	t.Helper()
	src := testhost.MustBuild[sdk.Source](t, duckdb.Source, body)
	t.Cleanup(func() {
		if err := src.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	schema, err := src.Open(context.Background(), testhost.New(t))
	return src, schema, err
}

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
	return &result{schema: schema, batches: em.Batches}
}

func query(q string, extra ...string) string {
	return fmt.Sprintf("query = %q\n%s", q, strings.Join(extra, "\n"))
}

func duckdbSource() sdk.Plugin { return duckdb.Source }
