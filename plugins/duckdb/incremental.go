package duckdb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/sqlcursor"
)

func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// incrementalSQL wraps the user's query to return, in cursor order, the
// rows whose cursor is past the checkpoint's (every row when casts is
// nil). The comparison is spelled out column by column, which DuckDB can
// push into a Parquet scan's row-group filters:
//
//	SELECT * FROM (
//	<query>
//	) AS sluice_source
//	WHERE "updated_at" IS NOT NULL AND "id" IS NOT NULL
//	  AND ("updated_at" > CAST($2 AS TIMESTAMP) OR ("updated_at" = CAST($2 AS TIMESTAMP) AND "id" > CAST($3 AS BIGINT)))
//	ORDER BY "updated_at", "id"
func incrementalSQL(query string, nargs int, cursor []string, casts []string) string {
	cols := make([]string, len(cursor))
	for i, c := range cursor {
		cols[i] = quoteIdent(c)
	}
	var b strings.Builder
	b.WriteString("SELECT * FROM (\n")
	b.WriteString(sqlcursor.Query(query))
	b.WriteString("\n) AS sluice_source\nWHERE ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(c + " IS NOT NULL")
	}
	if casts != nil {
		vals := make([]string, len(cols))
		for i := range cols {
			vals[i] = fmt.Sprintf("CAST($%d AS %s)", nargs+1+i, casts[i])
		}
		// c1 > v1 OR (c1 = v1 AND (c2 > v2 OR (c2 = v2 AND …)))
		expr := cols[len(cols)-1] + " > " + vals[len(cols)-1]
		for i := len(cols) - 2; i >= 0; i-- {
			expr = fmt.Sprintf("%s > %s OR (%s = %s AND (%s))", cols[i], vals[i], cols[i], vals[i], expr)
		}
		b.WriteString("\n  AND (" + expr + ")")
	}
	b.WriteString("\nORDER BY " + strings.Join(cols, ", "))
	return b.String()
}

// castType is the DuckDB type a cursor column's checkpoint text is cast
// to, from the column's Arrow type; ok is false for types that cannot be a
// cursor.
func castType(dt arrow.DataType) (string, bool) {
	switch t := dt.(type) {
	case *arrow.Int8Type:
		return "TINYINT", true
	case *arrow.Int16Type:
		return "SMALLINT", true
	case *arrow.Int32Type:
		return "INTEGER", true
	case *arrow.Int64Type:
		return "BIGINT", true
	case *arrow.Uint8Type:
		return "UTINYINT", true
	case *arrow.Uint16Type:
		return "USMALLINT", true
	case *arrow.Uint32Type:
		return "UINTEGER", true
	case *arrow.Uint64Type:
		return "UBIGINT", true
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), true
	case *arrow.StringType, *arrow.LargeStringType:
		return "VARCHAR", true
	case *arrow.Date32Type:
		return "DATE", true
	case *arrow.TimestampType:
		name := map[arrow.TimeUnit]string{arrow.Second: "TIMESTAMP_S", arrow.Millisecond: "TIMESTAMP_MS", arrow.Microsecond: "TIMESTAMP", arrow.Nanosecond: "TIMESTAMP_NS"}[t.Unit]
		if t.TimeZone != "" {
			if t.Unit != arrow.Microsecond {
				return "", false
			}
			name = "TIMESTAMPTZ"
		}
		return name, true
	}
	return "", false
}

// cursorText formats row i of a cursor column as text DuckDB casts back to
// the same value.
func cursorText(arr arrow.Array, i int) string {
	switch a := arr.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Date32:
		return a.Value(i).FormattedString()
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		ts := a.Value(i).ToTime(t.Unit)
		layout := "2006-01-02 15:04:05" + map[arrow.TimeUnit]string{arrow.Millisecond: ".000", arrow.Microsecond: ".000000", arrow.Nanosecond: ".000000000"}[t.Unit]
		if t.TimeZone != "" {
			layout += "+00"
		}
		return ts.UTC().Format(layout)
	case *array.Int8:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	}
	return arr.ValueStr(i)
}
