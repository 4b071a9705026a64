// Package coltype names the column types that text sources (csv, jsonl) can
// produce, parses the names users write in a declared schema
// (`schema = { updated_at = "timestamp" }`), and infers a type from sample
// values. Keeping one list of names means the same words work in every
// plugin and every error message uses them.
package coltype

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/textconv"
)

// Timestamp is the type of timestamp columns: microseconds, UTC. Microseconds
// cover years 1 to 9999 in an int64 and match Postgres and Parquet.
var Timestamp arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// Names lists the type names Parse accepts, for documentation.
const Names = `"string", "int64", "int32", "float64", "bool", "timestamp", "date" or "decimal(precision, scale)"`

// Parse returns the Arrow type a declared schema names. Common aliases
// (text, integer, bigint, double, boolean…) are accepted.
func Parse(name string) (arrow.DataType, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "string", "text", "utf8", "varchar", "str":
		return arrow.BinaryTypes.String, nil
	case "int64", "int", "integer", "bigint", "long":
		return arrow.PrimitiveTypes.Int64, nil
	case "int32":
		return arrow.PrimitiveTypes.Int32, nil
	case "float64", "float", "double", "number", "real":
		return arrow.PrimitiveTypes.Float64, nil
	case "bool", "boolean":
		return arrow.FixedWidthTypes.Boolean, nil
	case "timestamp", "timestamptz", "datetime":
		return Timestamp, nil
	case "date":
		return arrow.FixedWidthTypes.Date32, nil
	}
	if rest, ok := strings.CutPrefix(n, "decimal("); ok && strings.HasSuffix(rest, ")") {
		p, s, ok := strings.Cut(strings.TrimSuffix(rest, ")"), ",")
		prec, err1 := strconv.Atoi(strings.TrimSpace(p))
		scale, err2 := strconv.Atoi(strings.TrimSpace(s))
		if ok && err1 == nil && err2 == nil && prec >= 1 && prec <= 38 && scale >= 0 && scale <= prec {
			return &arrow.Decimal128Type{Precision: int32(prec), Scale: int32(scale)}, nil
		}
		return nil, fmt.Errorf("invalid decimal type %q: write decimal(precision, scale) with 1 ≤ precision ≤ 38 and 0 ≤ scale ≤ precision", name)
	}
	return nil, fmt.Errorf("unknown type %q: use %s", name, Names)
}

// Name is the name Parse accepts for dt, or dt's Arrow name for other types.
func Name(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.STRING:
		return "string"
	case arrow.INT64:
		return "int64"
	case arrow.INT32:
		return "int32"
	case arrow.FLOAT64:
		return "float64"
	case arrow.BOOL:
		return "bool"
	case arrow.TIMESTAMP:
		return "timestamp"
	case arrow.DATE32:
		return "date"
	case arrow.DECIMAL128:
		d := dt.(*arrow.Decimal128Type)
		return fmt.Sprintf("decimal(%d,%d)", d.Precision, d.Scale)
	}
	return dt.String()
}

// WithArticle is Name with its indefinite article, for messages: "an
// int64", "a float64", "a uint8".
func WithArticle(dt arrow.DataType) string {
	name := Name(dt)
	if strings.ContainsRune("aeio", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// IsText reports whether dt holds text, whose empty values are empty strings
// rather than nulls.
func IsText(dt arrow.DataType) bool { return dt.ID() == arrow.STRING }

// candidates is a set of types a column's values so far all convert to.
type candidates uint8

const (
	canInt candidates = 1 << iota
	canFloat
	canBool
	canTimestamp
	canDate
	all = canInt | canFloat | canBool | canTimestamp | canDate
)

// Inferrer infers a column's type from sample values. The zero value is
// ready to use.
//
// Rules: a column is int64 if every value is an integer, float64 if every
// value is a number, bool if every value is true or false, date if every
// value is YYYY-MM-DD, timestamp if every value is an RFC 3339 timestamp or
// a date, and string otherwise — or if no value was seen. Values the caller
// treats as null are not observed.
type Inferrer struct {
	seen  bool
	cands candidates
}

// Observe narrows the type by one non-null value.
func (in *Inferrer) Observe(v []byte) {
	if !in.seen {
		in.seen, in.cands = true, all
	}
	c := in.cands
	if c == 0 {
		return
	}
	if c&canInt != 0 {
		if _, ok := textconv.ParseInt64(v); !ok {
			c &^= canInt
		}
	}
	if c&canFloat != 0 {
		if _, ok := textconv.ParseFloat(v); !ok || !looksNumeric(v) {
			c &^= canFloat
		}
	}
	if c&canBool != 0 && !textconv.IsBoolWord(v) {
		c &^= canBool
	}
	if c&canDate != 0 {
		if _, ok := textconv.ParseDate(v); !ok {
			c &^= canDate
		}
	}
	if c&canTimestamp != 0 {
		if _, ok := textconv.ParseTimestamp(v); !ok {
			c &^= canTimestamp
		}
	}
	in.cands = c
}

// looksNumeric rejects words strconv takes for floats ("NaN", "Inf") but a
// sample column of which is text.
func looksNumeric(v []byte) bool {
	for _, c := range v {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// Type is the inferred type.
func (in *Inferrer) Type() arrow.DataType {
	c := in.cands
	switch {
	case !in.seen || c == 0:
		return arrow.BinaryTypes.String
	case c&canInt != 0:
		return arrow.PrimitiveTypes.Int64
	case c&canFloat != 0:
		return arrow.PrimitiveTypes.Float64
	case c&canBool != 0:
		return arrow.FixedWidthTypes.Boolean
	case c&canDate != 0:
		return arrow.FixedWidthTypes.Date32
	case c&canTimestamp != 0:
		return Timestamp
	}
	return arrow.BinaryTypes.String
}
