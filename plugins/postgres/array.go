package postgres

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// listColumn decodes one-dimensional arrays in PostgreSQL's binary array
// format: a header (dimensions, a has-nulls flag, the element OID), the
// length and lower bound of each dimension, then each element as a 4-byte
// length (-1 for NULL) and its bytes, decoded by the element's column.
type listColumn struct {
	b    *array.ListBuilder
	elem column
}

func (c *listColumn) append(src []byte) string {
	if src == nil {
		c.b.AppendNull()
		return ""
	}
	if len(src) < 12 {
		c.b.AppendNull()
		return malformed
	}
	ndim := int32(binary.BigEndian.Uint32(src))
	switch {
	case ndim == 0:
		c.b.AppendEmptyValue()
		return ""
	case ndim > 1:
		c.b.AppendNull()
		return fmt.Sprintf("a %d-dimensional array does not fit a list; unnest it, or cast it to text in the query", ndim)
	case ndim < 0 || len(src) < 20:
		c.b.AppendNull()
		return malformed
	}
	n := int(int32(binary.BigEndian.Uint32(src[12:])))
	rest := src[20:]
	c.b.Append(true)
	reason := ""
	for i := 0; i < n; i++ {
		if len(rest) < 4 {
			return c.truncated(i, n)
		}
		size := int(int32(binary.BigEndian.Uint32(rest)))
		rest = rest[4:]
		var v []byte
		if size >= 0 {
			if len(rest) < size {
				return c.truncated(i, n)
			}
			v, rest = rest[:size:size], rest[size:]
		}
		if msg := c.elem.append(v); msg != "" && reason == "" {
			reason = fmt.Sprintf("element %d: %s", i+1, msg)
		}
	}
	return reason
}

// truncated pads the list with nulls to its declared length, so that the
// row can be rejected with the batch still well formed.
func (c *listColumn) truncated(from, n int) string {
	for ; from < n; from++ {
		c.elem.append(nil)
	}
	return malformed
}
