package jsonl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/chunkread"
	"github.com/sluicedata/sluice/plugins/internal/colbuild"
	"github.com/sluicedata/sluice/plugins/internal/coltype"
	"github.com/sluicedata/sluice/sdk"
)

// Row error codes of the jsonl source.
const (
	CodeParse   = "jsonl.parse"   // a line that is not a JSON object
	CodeConvert = "jsonl.convert" // a value that does not convert to its column's type
)

// decoder turns chunks of lines into batches; one per goroutine.
type decoder struct {
	src   *source
	cols  []colbuild.Column
	types []arrow.DataType
	// vals holds the current line's values by column; stamp[i] == row+1
	// when column i has a value in the current line.
	vals    []value
	stamp   []int
	scratch []byte
	msg     strings.Builder
	visit   func(key []byte, escaped bool, v value)
	row     int
	// validUTF8 is set when the whole chunk is valid UTF-8, which spares
	// checking strings one by one.
	validUTF8 bool
}

func (s *source) newDecoder() *decoder {
	d := &decoder{src: s}
	for _, f := range s.schema.Fields() {
		d.cols = append(d.cols, colbuild.New(f.Type))
		d.types = append(d.types, f.Type)
	}
	d.vals = make([]value, len(d.cols))
	d.stamp = make([]int, len(d.cols))
	d.visit = func(key []byte, escaped bool, v value) {
		if escaped {
			d.scratch, _ = unescape(d.scratch[:0], key)
			key = d.scratch
		}
		if i, ok := d.src.index[string(key)]; ok {
			d.vals[i] = v
			d.stamp[i] = d.row + 1
		}
	}
	return d
}

func (d *decoder) Decode(c *chunkread.Chunk) sdk.Batch {
	s := d.src
	data := c.Data
	d.validUTF8 = utf8.Valid(data)
	var rejects []sdk.RowError
	line := c.Line
	row := 0
	for pos := 0; pos < len(data); {
		end := len(data)
		if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
			end = pos + nl + 1
		}
		text := data[pos:end]
		lineNo := line
		pos, line = end, line+1
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		d.row = row
		if err := scanObject(text, d.visit); err != nil {
			for _, col := range d.cols {
				col.AppendNull()
			}
			rejects = append(rejects, sdk.RowError{Row: row, Code: CodeParse, Message: fmt.Sprintf("%s:%d: invalid JSON: %v", c.Path, lineNo, err)})
			// Values of a half-scanned line must not leak into the next.
			for i := range d.stamp {
				if d.stamp[i] == row+1 {
					d.stamp[i] = 0
				}
			}
			row++
			continue
		}
		d.msg.Reset()
		for i, col := range d.cols {
			if d.stamp[i] != row+1 {
				col.AppendNull()
				continue
			}
			if problem := d.append(i, col, d.vals[i]); problem != "" {
				if d.msg.Len() > 0 {
					d.msg.WriteString("; ")
				}
				fmt.Fprintf(&d.msg, "key %q: %s", s.schema.Field(i).Name, problem)
			}
		}
		if d.msg.Len() > 0 {
			rejects = append(rejects, sdk.RowError{Row: row, Code: CodeConvert, Message: fmt.Sprintf("%s:%d: %s", c.Path, lineNo, d.msg.String())})
		}
		row++
	}
	arrays := make([]arrow.Array, len(d.cols))
	for i, col := range d.cols {
		arrays[i] = col.Build(s.host.Allocator())
	}
	rec := array.NewRecordBatch(s.schema, arrays, int64(row))
	for _, a := range arrays {
		a.Release()
	}
	// Reset the stamps, which count rows from zero again in the next chunk.
	clear(d.stamp)
	return sdk.Batch{Record: rec, Rejects: rejects, Checkpoint: c.End.Encode()}
}

// append converts one value to its column's type and appends it, or
// appends a null and says what is wrong.
func (d *decoder) append(i int, col colbuild.Column, v value) string {
	dt := d.types[i]
	if v.kind == kindNull {
		col.AppendNull()
		return ""
	}
	raw := v.raw
	if v.kind == kindString && v.escaped {
		var ok bool
		if d.scratch, ok = unescape(d.scratch[:0], raw); !ok {
			col.AppendNull()
			return "invalid escape in a string"
		}
		raw = d.scratch
	}
	switch dt.ID() {
	case arrow.STRING:
		if v.kind == kindString && !d.validUTF8 && !utf8.Valid(raw) {
			col.AppendNull()
			return "a string that is not valid UTF-8"
		}
		col.Append(raw)
		return ""
	}
	var accepts bool
	switch dt.ID() {
	case arrow.BOOL:
		accepts = v.kind == kindTrue || v.kind == kindFalse || v.kind == kindString
	case arrow.INT64, arrow.INT32, arrow.FLOAT64, arrow.DECIMAL128:
		accepts = v.kind == kindNumber || v.kind == kindString
	default: // timestamp, date
		accepts = v.kind == kindString
	}
	if !accepts {
		col.AppendNull()
	} else if col.Append(raw) { // Append appends a null when it fails
		return ""
	}
	return fmt.Sprintf("%s is not %s", describe(v, raw), coltype.WithArticle(dt))
}

func describe(v value, raw []byte) string {
	const max = 80
	switch v.kind {
	case kindString:
		if len(raw) > max {
			return "string " + strconv.Quote(string(raw[:max])) + "…"
		}
		return "string " + strconv.Quote(string(raw))
	case kindNumber:
		return "number " + string(raw)
	}
	return v.kind.String()
}
