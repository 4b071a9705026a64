//go:build cgo

package duckdb_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestIncrementalOverACSVFile reads a CSV file incrementally, rewrites it
// with new, changed and late rows, and checks the next run reads exactly
// the new and changed ones, ties on updated_at included.
func TestIncrementalOverACSVFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customers.csv")
	var b strings.Builder
	b.WriteString("id,email,updated_at\n")
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&b, "%d,c%d@example.com,2024-01-01 %02d:00:00\n", i, i, i/500)
	}
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(b.String())
	body := query(fmt.Sprintf("SELECT id::BIGINT AS id, email, updated_at::TIMESTAMP AS updated_at FROM read_csv('%s')", path),
		"batch_rows = 1000", "incremental {\ncursor = [\"updated_at\", \"id\"]\n}")
	first := read(t, body, nil)
	if n := len(first.rows()); n != 5000 {
		t.Fatalf("first run read %d rows", n)
	}
	cp := first.last()
	if want := `{"cursor":["updated_at","id"],"after":["2024-01-01 10:00:00.000000","5000"]}`; string(cp) != want {
		t.Errorf("checkpoint %s, want %s", cp, want)
	}
	// Every middle checkpoint resumes exactly after its batch.
	seen := 0
	for i, batch := range first.batches {
		seen += int(batch.Record.NumRows())
		if batch.Checkpoint == nil {
			continue
		}
		if n := len(read(t, body, batch.Checkpoint).rows()); n != 5000-seen {
			t.Errorf("resuming after batch %d read %d rows, want %d", i, n, 5000-seen)
		}
	}
	b.WriteString("5001,tie@example.com,2024-01-01 10:00:00\n") // ties with the mark
	b.WriteString("0,late@example.com,2023-12-31 00:00:00\n")   // behind it: never read
	b.WriteString("6000,new@example.com,2024-01-02 00:00:00\n") // after it
	write(strings.Replace(b.String(), "4,c4@example.com,2024-01-01 00:00:00", "4,changed@example.com,2024-01-01 12:00:00", 1))
	second := read(t, body, cp)
	want := []string{
		"5001|tie@example.com|2024-01-01T10:00:00",
		"4|changed@example.com|2024-01-01T12:00:00",
		"6000|new@example.com|2024-01-02T00:00:00",
	}
	if got := second.rows(); !slices.Equal(got, want) {
		t.Errorf("second run\ngot  %q\nwant %q", got, want)
	}
}

// TestIncrementalTiesAcrossBatches uses a cursor that is not unique and
// checks no checkpoint falls inside a tie: DuckDB's chunks of 2048 rows
// end inside a day every other time.
func TestIncrementalTiesAcrossBatches(t *testing.T) {
	body := query("SELECT i AS id, DATE '2024-01-01' + (i // 4096)::INTEGER AS day FROM range(20000) t(i)",
		"batch_rows = 1000", "incremental {\ncursor = [\"day\"]\n}")
	all := read(t, body, nil)
	seen := 0
	checkpoints := 0
	for i, b := range all.batches {
		seen += int(b.Record.NumRows())
		if b.Checkpoint == nil {
			continue
		}
		checkpoints++
		if seen%4096 != 0 && seen != 20000 {
			t.Errorf("batch %d ends after %d rows, inside a day, with checkpoint %s", i, seen, b.Checkpoint)
		}
		if n := len(read(t, body, b.Checkpoint).rows()); n != 20000-seen {
			t.Errorf("resuming after batch %d read %d rows, want %d", i, n, 20000-seen)
		}
	}
	if seen != 20000 || checkpoints < 2 {
		t.Errorf("read %d rows with %d checkpoints", seen, checkpoints)
	}
}
