package postgres

import (
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// column decodes one result column's wire values straight into an Arrow
// builder: no per-value interface boxing, no intermediate Go values.
type column interface {
	// append decodes src (nil for SQL NULL) and appends it. A value that
	// does not convert appends a null instead and returns the reason, which
	// rejects the row.
	append(src []byte) string
}

// Microseconds and days between the Unix epoch and PostgreSQL's,
// 2000-01-01.
const (
	pgEpochMicros = 946_684_800_000_000
	pgEpochDays   = 10_957
)

// newColumn returns the decoder of a column of type ct appending to b, a
// builder of ct.arrow. checkUTF8 makes text decoders verify their bytes,
// for SQL_ASCII databases whose text is not converted to UTF-8.
func newColumn(ct colType, b array.Builder, checkUTF8 bool) column {
	if ct.list {
		lb := b.(*array.ListBuilder)
		elem := ct
		elem.list = false
		elem.arrow = ct.arrow.(*arrow.ListType).Elem()
		return &listColumn{b: lb, elem: newColumn(elem, lb.ValueBuilder(), checkUTF8)}
	}
	switch ct.kind {
	case kText, kUUID, kJSONB:
		return newStringColumn(ct.kind, builderStrings{b.(*array.StringBuilder)}, checkUTF8)
	case kBool:
		return &boolColumn{b: b.(*array.BooleanBuilder)}
	case kInt2:
		return &int2Column{b: b.(*array.Int16Builder)}
	case kInt4:
		return &int4Column{b: b.(*array.Int32Builder)}
	case kInt8:
		return &int8Column{b: b.(*array.Int64Builder)}
	case kFloat4:
		return &float4Column{b: b.(*array.Float32Builder)}
	case kFloat8:
		return &float8Column{b: b.(*array.Float64Builder)}
	case kNumeric:
		return &numericColumn{b: b.(*array.Decimal128Builder), precision: ct.precision, scale: ct.scale}
	case kDate:
		return &dateColumn{b: b.(*array.Date32Builder)}
	case kTimestamp, kTimestamptz:
		return &timestampColumn{b: b.(*array.TimestampBuilder)}
	case kBytea:
		return &byteaColumn{b: b.(*array.BinaryBuilder)}
	}
	panic("postgres: unhandled kind")
}

const malformed = "malformed binary value from the server"

// stringSink is where string columns put their values: an Arrow builder for
// list elements, and for whole columns colbuild's accumulator, which
// appends to reused Go slices and copies them into Arrow memory once per
// batch, several times faster than a builder whose buffers start empty
// every batch.
type stringSink interface {
	Append(v []byte) bool
	AppendNull()
}

type builderStrings struct{ b *array.StringBuilder }

func (s builderStrings) Append(v []byte) bool { s.b.BinaryBuilder.Append(v); return true }
func (s builderStrings) AppendNull()          { s.b.AppendNull() }

// newStringColumn returns the decoder of a column whose Arrow type is
// string: text (any type read in text format), uuid or jsonb.
func newStringColumn(k kind, s stringSink, checkUTF8 bool) column {
	switch {
	case k == kUUID:
		return &uuidColumn{s: s}
	case k == kJSONB:
		return &jsonbColumn{s: s}
	case checkUTF8:
		return &checkedTextColumn{s: s}
	}
	return &textColumn{s: s}
}

type textColumn struct{ s stringSink }

func (c *textColumn) append(src []byte) string {
	if src == nil {
		c.s.AppendNull()
		return ""
	}
	c.s.Append(src)
	return ""
}

type checkedTextColumn struct{ s stringSink }

func (c *checkedTextColumn) append(src []byte) string {
	if src == nil {
		c.s.AppendNull()
		return ""
	}
	if !utf8.Valid(src) {
		c.s.AppendNull()
		return "text is not valid UTF-8 (the database encoding is SQL_ASCII)"
	}
	c.s.Append(src)
	return ""
}

type boolColumn struct{ b *array.BooleanBuilder }

func (c *boolColumn) append(src []byte) string {
	if len(src) == 1 {
		c.b.Append(src[0] != 0)
		return ""
	}
	c.b.AppendNull()
	return nullOrMalformed(src)
}

type int2Column struct{ b *array.Int16Builder }

func (c *int2Column) append(src []byte) string {
	if len(src) == 2 {
		c.b.Append(int16(binary.BigEndian.Uint16(src)))
		return ""
	}
	c.b.AppendNull()
	return nullOrMalformed(src)
}

type int4Column struct{ b *array.Int32Builder }

func (c *int4Column) append(src []byte) string {
	if len(src) == 4 {
		c.b.Append(int32(binary.BigEndian.Uint32(src)))
		return ""
	}
	c.b.AppendNull()
	return nullOrMalformed(src)
}

type int8Column struct{ b *array.Int64Builder }

func (c *int8Column) append(src []byte) string {
	if len(src) == 8 {
		c.b.Append(int64(binary.BigEndian.Uint64(src)))
		return ""
	}
	c.b.AppendNull()
	return nullOrMalformed(src)
}

type float4Column struct{ b *array.Float32Builder }

func (c *float4Column) append(src []byte) string {
	if len(src) == 4 {
		c.b.Append(math.Float32frombits(binary.BigEndian.Uint32(src)))
		return ""
	}
	c.b.AppendNull()
	return nullOrMalformed(src)
}

type float8Column struct{ b *array.Float64Builder }

func (c *float8Column) append(src []byte) string {
	if len(src) == 8 {
		c.b.Append(math.Float64frombits(binary.BigEndian.Uint64(src)))
		return ""
	}
	c.b.AppendNull()
	return nullOrMalformed(src)
}

type numericColumn struct {
	b                *array.Decimal128Builder
	precision, scale int32
}

func (c *numericColumn) append(src []byte) string {
	if src == nil {
		c.b.AppendNull()
		return ""
	}
	v, msg := numericToDecimal(src, c.precision, c.scale)
	if msg != "" {
		c.b.AppendNull()
		return msg
	}
	c.b.Append(v)
	return ""
}

type dateColumn struct{ b *array.Date32Builder }

func (c *dateColumn) append(src []byte) string {
	if len(src) != 4 {
		c.b.AppendNull()
		return nullOrMalformed(src)
	}
	days := int32(binary.BigEndian.Uint32(src))
	switch days {
	case math.MaxInt32:
		c.b.AppendNull()
		return "date infinity has no Arrow equivalent"
	case math.MinInt32:
		c.b.AppendNull()
		return "date -infinity has no Arrow equivalent"
	}
	// PostgreSQL's range of dates fits in int32 days since 1970.
	c.b.Append(arrow.Date32(days + pgEpochDays))
	return ""
}

type timestampColumn struct{ b *array.TimestampBuilder }

func (c *timestampColumn) append(src []byte) string {
	if len(src) != 8 {
		c.b.AppendNull()
		return nullOrMalformed(src)
	}
	us := int64(binary.BigEndian.Uint64(src))
	switch {
	case us == math.MaxInt64:
		c.b.AppendNull()
		return "timestamp infinity has no Arrow equivalent"
	case us == math.MinInt64:
		c.b.AppendNull()
		return "timestamp -infinity has no Arrow equivalent"
	case us > math.MaxInt64-pgEpochMicros:
		c.b.AppendNull()
		return "timestamp is beyond the year 294246, the last an int64 of microseconds since 1970 holds"
	}
	c.b.Append(arrow.Timestamp(us + pgEpochMicros))
	return ""
}

type uuidColumn struct {
	s   stringSink
	buf [36]byte
}

func (c *uuidColumn) append(src []byte) string {
	if len(src) != 16 {
		c.s.AppendNull()
		return nullOrMalformed(src)
	}
	formatUUID(&c.buf, src)
	c.s.Append(c.buf[:])
	return ""
}

const hexDigits = "0123456789abcdef"

// formatUUID writes the canonical 8-4-4-4-12 form of a 16-byte UUID.
func formatUUID(dst *[36]byte, u []byte) {
	j := 0
	for i, b := range u[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = hexDigits[b>>4], hexDigits[b&0xf]
		j += 2
	}
}

type jsonbColumn struct{ s stringSink }

func (c *jsonbColumn) append(src []byte) string {
	if src == nil {
		c.s.AppendNull()
		return ""
	}
	if len(src) == 0 || src[0] != 1 {
		c.s.AppendNull()
		return "jsonb value in an unknown binary version"
	}
	c.s.Append(src[1:])
	return ""
}

type byteaColumn struct{ b *array.BinaryBuilder }

func (c *byteaColumn) append(src []byte) string {
	if src == nil {
		c.b.AppendNull()
		return ""
	}
	c.b.Append(src)
	return ""
}

// nullOrMalformed is the reason for a fixed-width value of the wrong size:
// none for NULL.
func nullOrMalformed(src []byte) string {
	if src == nil {
		return ""
	}
	return malformed
}
