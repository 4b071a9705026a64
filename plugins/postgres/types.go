package postgres

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgtype"
)

// kind is how the source decodes one PostgreSQL type.
type kind uint8

const (
	kText kind = iota // text result format, any type: the bytes are the string
	kBool
	kInt2
	kInt4
	kInt8
	kFloat4
	kFloat8
	kNumeric // numeric(p, s) with p ≤ 38: decimal128
	kDate
	kTimestamp
	kTimestamptz
	kUUID
	kJSONB // binary jsonb: a version byte, then the JSON text
	kBytea
)

// binary reports whether the kind is read in PostgreSQL's binary format.
func (k kind) binary() bool { return k != kText }

// scalarKinds maps the OIDs of the types with a binary decoder. text,
// varchar, char, name and json are read in text format, which is their
// binary format too.
var scalarKinds = map[uint32]kind{
	pgtype.BoolOID:        kBool,
	pgtype.Int2OID:        kInt2,
	pgtype.Int4OID:        kInt4,
	pgtype.Int8OID:        kInt8,
	pgtype.Float4OID:      kFloat4,
	pgtype.Float8OID:      kFloat8,
	pgtype.NumericOID:     kNumeric,
	pgtype.DateOID:        kDate,
	pgtype.TimestampOID:   kTimestamp,
	pgtype.TimestamptzOID: kTimestamptz,
	pgtype.UUIDOID:        kUUID,
	pgtype.JSONBOID:       kJSONB,
	pgtype.ByteaOID:       kBytea,
	pgtype.TextOID:        kText,
	pgtype.VarcharOID:     kText,
	pgtype.BPCharOID:      kText,
	pgtype.NameOID:        kText,
	pgtype.JSONOID:        kText,
}

// arrayElems maps array type OIDs to their element type OIDs.
var arrayElems = map[uint32]uint32{
	pgtype.BoolArrayOID:        pgtype.BoolOID,
	pgtype.Int2ArrayOID:        pgtype.Int2OID,
	pgtype.Int4ArrayOID:        pgtype.Int4OID,
	pgtype.Int8ArrayOID:        pgtype.Int8OID,
	pgtype.Float4ArrayOID:      pgtype.Float4OID,
	pgtype.Float8ArrayOID:      pgtype.Float8OID,
	pgtype.NumericArrayOID:     pgtype.NumericOID,
	pgtype.DateArrayOID:        pgtype.DateOID,
	pgtype.TimestampArrayOID:   pgtype.TimestampOID,
	pgtype.TimestamptzArrayOID: pgtype.TimestamptzOID,
	pgtype.UUIDArrayOID:        pgtype.UUIDOID,
	pgtype.JSONBArrayOID:       pgtype.JSONBOID,
	pgtype.JSONArrayOID:        pgtype.JSONOID,
	pgtype.ByteaArrayOID:       pgtype.ByteaOID,
	pgtype.TextArrayOID:        pgtype.TextOID,
	pgtype.VarcharArrayOID:     pgtype.VarcharOID,
	pgtype.BPCharArrayOID:      pgtype.BPCharOID,
	pgtype.NameArrayOID:        pgtype.NameOID,
}

// knownTextTypes are types outside scalarKinds that map to string on
// purpose, so reading them as text is no reason for a warning.
var knownTextTypes = map[string]bool{"citext": true}

// TimestampUTC is the type of timestamptz columns; timestamp columns, whose
// values have no time zone, are TimestampNaive.
var (
	TimestampUTC   arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	TimestampNaive arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond}
)

// colType is how one result column is read: its decoder kind (for an
// array, its elements'), the Arrow type, and for numeric its scale.
type colType struct {
	kind      kind
	list      bool // a one-dimensional array of kind
	arrow     arrow.DataType
	precision int32
	scale     int32
	// fallback says why a column is read as text, for the warning;
	// empty when text is its mapping.
	fallback string
}

// resultFormat is the format code to ask the server for.
func (c colType) resultFormat() int16 {
	if c.kind.binary() || c.list {
		return pgtype.BinaryFormatCode
	}
	return pgtype.TextFormatCode
}

// typeOf maps a result column's type to its reading. name is the type's
// name when the OID is not a builtin one ("" if unknown).
func typeOf(oid uint32, typmod int32, name string) colType {
	if elem, ok := arrayElems[oid]; ok {
		ct := scalarType(elem, typmod, "")
		if ct.fallback != "" || (elem == pgtype.NumericOID && ct.kind == kText) {
			// An array of numerics without a usable precision: the
			// whole array as text, "{1.5,2.25}".
			return colType{kind: kText, arrow: arrow.BinaryTypes.String, fallback: "an array of numeric without a precision of at most 38"}
		}
		ct.list = true
		ct.arrow = arrow.ListOf(ct.arrow)
		return ct
	}
	return scalarType(oid, typmod, name)
}

func scalarType(oid uint32, typmod int32, name string) colType {
	k, ok := scalarKinds[oid]
	if !ok {
		ct := colType{kind: kText, arrow: arrow.BinaryTypes.String}
		if !knownTextTypes[name] {
			if name == "" {
				name = fmt.Sprintf("OID %d", oid)
			}
			ct.fallback = "type " + name + " has no Arrow mapping"
		}
		return ct
	}
	switch k {
	case kText:
		return colType{kind: kText, arrow: arrow.BinaryTypes.String}
	case kBool:
		return colType{kind: k, arrow: arrow.FixedWidthTypes.Boolean}
	case kInt2:
		return colType{kind: k, arrow: arrow.PrimitiveTypes.Int16}
	case kInt4:
		return colType{kind: k, arrow: arrow.PrimitiveTypes.Int32}
	case kInt8:
		return colType{kind: k, arrow: arrow.PrimitiveTypes.Int64}
	case kFloat4:
		return colType{kind: k, arrow: arrow.PrimitiveTypes.Float32}
	case kFloat8:
		return colType{kind: k, arrow: arrow.PrimitiveTypes.Float64}
	case kNumeric:
		p, s, ok := numericTypmod(typmod)
		if !ok || p > 38 || s < 0 {
			// Unbounded numeric (or beyond decimal128): exact, as text.
			return colType{kind: kText, arrow: arrow.BinaryTypes.String}
		}
		return colType{kind: k, arrow: &arrow.Decimal128Type{Precision: p, Scale: s}, precision: p, scale: s}
	case kDate:
		return colType{kind: k, arrow: arrow.FixedWidthTypes.Date32}
	case kTimestamp:
		return colType{kind: k, arrow: TimestampNaive}
	case kTimestamptz:
		return colType{kind: k, arrow: TimestampUTC}
	case kUUID, kJSONB:
		return colType{kind: k, arrow: arrow.BinaryTypes.String}
	case kBytea:
		return colType{kind: k, arrow: arrow.BinaryTypes.Binary}
	}
	panic("postgres: unhandled kind")
}

// numericTypmod decodes numeric(p, s) from a type modifier; ok is false
// for an unbounded numeric. PostgreSQL 15 allows a negative scale, kept in
// the low 11 bits as a signed number.
func numericTypmod(typmod int32) (precision, scale int32, ok bool) {
	if typmod < 4 {
		return 0, 0, false
	}
	t := typmod - 4
	precision = (t >> 16) & 0xffff
	scale = ((t & 0x7ff) ^ 1024) - 1024
	return precision, scale, true
}
