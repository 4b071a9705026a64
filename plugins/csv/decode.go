package csv

import (
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

// Row error codes of the csv source.
const (
	CodeFields  = "csv.fields"  // a line with the wrong number of fields
	CodeQuote   = "csv.quote"   // a quoting mistake
	CodeConvert = "csv.convert" // a value that does not convert to its column's type
)

// decoder turns chunks into record batches. Each decoding goroutine has its
// own, so its accumulators are reused from chunk to chunk.
type decoder struct {
	src    *source
	p      parser
	cols   []colbuild.Column
	isText []bool
	msg    strings.Builder
}

func (s *source) newDecoder() *decoder {
	d := &decoder{src: s, p: parser{delim: s.delim, quote: s.quote}}
	for _, f := range s.schema.Fields() {
		d.cols = append(d.cols, colbuild.New(f.Type))
		d.isText = append(d.isText, coltype.IsText(f.Type))
	}
	return d
}

// decode decodes every record of c into a batch. Records that cannot be read
// become rows of nulls, and rows with values that do not convert keep the
// values that do; both are listed in the batch's Rejects.
func (d *decoder) Decode(c *chunkread.Chunk) sdk.Batch {
	s := d.src
	data := c.Data
	colmap := c.Header.([]int)
	validUTF8 := utf8.Valid(data)
	var rejects []sdk.RowError
	line := c.Line
	row := 0
	for pos := 0; pos < len(data); {
		end, st := d.p.parse(data, pos, true)
		record, recordLine := data[pos:end], line
		pos, line = end, line+int64(d.p.lines)
		switch st {
		case recordBlank:
			continue
		case recordBadQuote:
			d.appendNullRow()
			rejects = append(rejects, sdk.RowError{Row: row, Code: CodeQuote, Message: d.badQuoteMessage(c, colmap, recordLine)})
			row++
			continue
		}
		fields := d.p.fields
		if len(fields) != len(colmap) {
			d.appendNullRow()
			rejects = append(rejects, sdk.RowError{Row: row, Code: CodeFields, Message: fmt.Sprintf(
				"%s:%d: %d fields, want %d: %s", c.Path, recordLine, len(fields), len(colmap), snippet(record))})
			row++
			continue
		}
		d.msg.Reset()
		for i, f := range fields {
			j := colmap[i]
			col := d.cols[j]
			quoted := d.p.quoted[i]
			switch {
			case len(f) == 0:
				if s.nullEmpty && !quoted {
					col.AppendNull()
				} else {
					col.AppendEmpty()
				}
			case !quoted && len(s.nullValues) > 0 && s.isNull(f):
				col.AppendNull()
			case d.isText[j] && !validUTF8 && !utf8.Valid(f):
				col.AppendNull()
				d.fieldError(j, f, "is not valid UTF-8 text; convert the file to UTF-8")
			default:
				if !col.Append(f) {
					d.fieldError(j, f, "is not "+coltype.WithArticle(s.schema.Field(j).Type))
				}
			}
		}
		if d.msg.Len() > 0 {
			rejects = append(rejects, sdk.RowError{Row: row, Code: CodeConvert, Message: fmt.Sprintf("%s:%d: %s", c.Path, recordLine, d.msg.String())})
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
	return sdk.Batch{Record: rec, Rejects: rejects, Checkpoint: c.End.Encode()}
}

func (d *decoder) appendNullRow() {
	for _, col := range d.cols {
		col.AppendNull()
	}
}

func (d *decoder) fieldError(col int, value []byte, problem string) {
	if d.msg.Len() > 0 {
		d.msg.WriteString("; ")
	}
	fmt.Fprintf(&d.msg, "column %q: %s %s", d.src.names[col], snippet(value), problem)
}

func (d *decoder) badQuoteMessage(c *chunkread.Chunk, colmap []int, line int64) string {
	field := d.p.badField
	name := ""
	if field < len(colmap) {
		name = fmt.Sprintf(" (column %q)", d.src.names[colmap[field]])
	}
	return fmt.Sprintf("%s:%d: bad quoting in field %d%s: a quoted field must end with a quote followed by the delimiter or the end of the line, and quotes inside it must be doubled", c.Path, line, field+1, name)
}

// snippet quotes a value for a message, shortened if long.
func snippet(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	const max = 120
	if len(b) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		return strconv.Quote(string(b[:cut])) + "…"
	}
	return strconv.Quote(string(b))
}
