// Package sqlcursor is what the SQL sources (postgres, duckdb) share for
// incremental reads: the checkpoint that remembers where a read stopped, and
// the query text they wrap in a subquery. One shape for both means a
// pipeline's state reads the same whichever database a segment comes from.
package sqlcursor

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sluicedata/sluice/sdk"
)

// Checkpoint holds the cursor of the last row delivered, as the text the
// database parses (or casts) back to each column's type, and the cursor's
// column names, which let a run notice that the cursor was changed since.
type Checkpoint struct {
	Cursor []string `json:"cursor"`
	After  []string `json:"after"`
}

// New is the checkpoint of cursor with room for its values.
func New(cursor []string) Checkpoint {
	return Checkpoint{Cursor: cursor, After: make([]string, len(cursor))}
}

// Encode is the checkpoint as the engine stores it.
func (c Checkpoint) Encode() sdk.Checkpoint {
	b, _ := json.Marshal(c)
	return b
}

// Decode reads a checkpoint that source (the plugin's name, for messages)
// wrote with the cursor columns cursor.
func Decode(source string, b sdk.Checkpoint, cursor []string) (Checkpoint, error) {
	var c Checkpoint
	if err := json.Unmarshal(b, &c); err != nil || len(c.After) != len(c.Cursor) {
		return c, fmt.Errorf("%s: the stored checkpoint %q is not one this source wrote; reset the pipeline's state to read from the start", source, b)
	}
	if !slices.Equal(c.Cursor, cursor) {
		return c, fmt.Errorf("%s: the stored checkpoint is after cursor %q, but incremental.cursor is now %q; reset the pipeline's state to read from the start with the new cursor", source, c.Cursor, cursor)
	}
	return c, nil
}

// Query is the query as written, without the trailing semicolons and space
// that would break it as a subquery.
func Query(query string) string {
	return strings.TrimRight(strings.TrimSpace(query), "; \t\r\n")
}
