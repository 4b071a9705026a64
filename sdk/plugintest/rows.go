package plugintest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// Rows renders a batch's rows as strings, columns separated by "|", for
// comparing batches row by row.
func Rows(rec arrow.RecordBatch) []string {
	if rec == nil {
		return nil
	}
	out := make([]string, rec.NumRows())
	cols := make([]string, rec.NumCols())
	for i := range out {
		for c, col := range rec.Columns() {
			cols[c] = col.ValueStr(i)
		}
		out[i] = strings.Join(cols, "|")
	}
	return out
}

// without returns rows minus the indices rejects name.
func without(rows []string, rejects []sdk.RowError) []string {
	drop := map[int]bool{}
	for _, r := range rejects {
		drop[r.Row] = true
	}
	var out []string
	for i, r := range rows {
		if !drop[i] {
			out = append(out, r)
		}
	}
	return out
}

// checkRowErrors checks that row errors name distinct rows of a batch of n.
func checkRowErrors(errs []sdk.RowError, n int) error {
	seen := map[int]bool{}
	for _, e := range errs {
		if e.Row < 0 || e.Row >= n {
			return fmt.Errorf("a row error names row %d of a batch of %d rows", e.Row, n)
		}
		if seen[e.Row] {
			return fmt.Errorf("two row errors name row %d", e.Row)
		}
		if e.Code == "" || e.Message == "" {
			return fmt.Errorf("row error %d has no code or message", e.Row)
		}
		seen[e.Row] = true
	}
	return nil
}

func sortedRows(rows []string) []string {
	out := slices.Clone(rows)
	slices.Sort(out)
	return out
}
