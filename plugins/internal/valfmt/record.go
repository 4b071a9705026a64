package valfmt

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// JSONLines encodes record batches as JSON lines: one object per row, with
// the columns in schema order.
type JSONLines struct {
	schema *arrow.Schema
	keys   [][]byte // `{"name":` for the first column, `,"name":` after
	fmts   []Func
}

// NewJSONLines returns an encoder for batches of the schema.
func NewJSONLines(schema *arrow.Schema) *JSONLines {
	e := &JSONLines{schema: schema}
	for i, f := range schema.Fields() {
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		e.keys = append(e.keys, append(AppendJSONString([]byte{sep}, f.Name), ':'))
	}
	return e
}

// Bind prepares the encoder for the rows of rec.
func (e *JSONLines) Bind(rec arrow.RecordBatch) error {
	e.fmts = e.fmts[:0]
	for i, col := range rec.Columns() {
		f, err := JSON(col)
		if err != nil {
			return fmt.Errorf("column %q: %w", rec.ColumnName(i), err)
		}
		e.fmts = append(e.fmts, f)
	}
	return nil
}

// Append appends rows [from, to) of the bound batch to b.
func (e *JSONLines) Append(b []byte, from, to int) []byte {
	if len(e.fmts) == 0 {
		for range to - from {
			b = append(b, "{}\n"...)
		}
		return b
	}
	for r := from; r < to; r++ {
		for c, f := range e.fmts {
			b = append(b, e.keys[c]...)
			b = f(b, r)
		}
		b = append(b, '}', '\n')
	}
	return b
}
