package postgres

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluicedata/sluice/plugins/internal/sqlcursor"
)

// cursorOIDs are the types a cursor column may have: totally ordered,
// exactly printable, and parsed back by the server from that text.
var cursorOIDs = map[uint32]bool{
	pgtype.Int2OID: true, pgtype.Int4OID: true, pgtype.Int8OID: true,
	pgtype.NumericOID: true,
	pgtype.TextOID:    true, pgtype.VarcharOID: true, pgtype.BPCharOID: true, pgtype.NameOID: true,
	pgtype.UUIDOID: true,
	pgtype.DateOID: true, pgtype.TimestampOID: true, pgtype.TimestamptzOID: true,
}

// lagOIDs are the types the first cursor column must have for lag.
var lagOIDs = map[uint32]bool{pgtype.DateOID: true, pgtype.TimestampOID: true, pgtype.TimestamptzOID: true}

// incrementalSQL wraps the user's query so that it returns, in cursor
// order, the rows whose cursor is past after (all of them when after is
// nil) and, with a lag, older than the lag. Parameters after the user's own
// ($1…$nargs) carry the values. PostgreSQL pushes the conditions into the
// subquery, so an index on the cursor columns serves them.
//
//	SELECT * FROM (
//	<query>
//	) AS sluice_source
//	WHERE "updated_at" IS NOT NULL AND "id" IS NOT NULL
//	  AND ("updated_at", "id") > ($2, $3)
//	  AND "updated_at" <= now() - $4::interval
//	ORDER BY "updated_at", "id"
func incrementalSQL(query string, nargs int, cursor []string, resume bool, lag time.Duration) string {
	cols := make([]string, len(cursor))
	for i, c := range cursor {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	var b strings.Builder
	// The newline before the parenthesis ends a trailing -- comment.
	b.WriteString("SELECT * FROM (\n")
	b.WriteString(sqlcursor.Query(query))
	b.WriteString("\n) AS sluice_source\nWHERE ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(c + " IS NOT NULL")
	}
	next := nargs + 1
	if resume {
		params := make([]string, len(cols))
		for i := range params {
			params[i] = "$" + strconv.Itoa(next)
			next++
		}
		fmt.Fprintf(&b, "\n  AND (%s) > (%s)", strings.Join(cols, ", "), strings.Join(params, ", "))
	}
	if lag > 0 {
		fmt.Fprintf(&b, "\n  AND %s <= now() - $%d::interval", cols[0], next)
	}
	b.WriteString("\nORDER BY " + strings.Join(cols, ", "))
	return b.String()
}

// lagInterval is lag as a PostgreSQL interval literal.
func lagInterval(lag time.Duration) string {
	return strconv.FormatInt(lag.Microseconds(), 10) + " microseconds"
}

// Bounds of the dates and timestamps cursorText prints: years 1 to 9999.
var (
	minCursorTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxCursorTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	minCursorDays = int32(minCursorTime.Unix()/86400) - pgEpochDays
	maxCursorDays = int32(maxCursorTime.Unix()/86400) - pgEpochDays
	minCursorUs   = minCursorTime.UnixMicro() - pgEpochMicros
	maxCursorUs   = maxCursorTime.UnixMicro() - pgEpochMicros
)

// cursorOK reports, cheaply and for every row, whether cursorText can
// print the value as a checkpoint.
func cursorOK(oid uint32, format int16, src []byte) bool {
	if src == nil {
		return false
	}
	if format == pgtype.TextFormatCode {
		if oid == pgtype.NumericOID {
			s := string(src) // no allocation: compared, not kept
			return s != "Infinity" && s != "NaN"
		}
		return true
	}
	switch oid {
	case pgtype.NumericOID:
		return len(src) >= 8 && binary.BigEndian.Uint16(src[4:]) != numericNaN && binary.BigEndian.Uint16(src[4:]) != numericPInf
	case pgtype.DateOID:
		if len(src) != 4 {
			return false
		}
		d := int32(binary.BigEndian.Uint32(src))
		return d == math.MinInt32 || (d >= minCursorDays && d <= maxCursorDays)
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		if len(src) != 8 {
			return false
		}
		us := int64(binary.BigEndian.Uint64(src))
		return us == math.MinInt64 || (us >= minCursorUs && us <= maxCursorUs)
	}
	return true
}

// cursorText formats one cursor value, as received in the column's result
// format, as text the server parses back to the same value. ok is false
// for a value no later row can follow (+infinity): a batch that ends on
// one gets no checkpoint, so its rows are read again next time.
func cursorText(oid uint32, format int16, src []byte) (string, bool) {
	if format == pgtype.TextFormatCode {
		s := string(src)
		if oid == pgtype.NumericOID {
			return s, s != "Infinity" && s != "NaN"
		}
		return s, true
	}
	switch oid {
	case pgtype.Int2OID:
		return strconv.FormatInt(int64(int16(binary.BigEndian.Uint16(src))), 10), len(src) == 2
	case pgtype.Int4OID:
		return strconv.FormatInt(int64(int32(binary.BigEndian.Uint32(src))), 10), len(src) == 4
	case pgtype.Int8OID:
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(src)), 10), len(src) == 8
	case pgtype.NumericOID:
		s, ok := numericText(src)
		return s, ok && s != "Infinity" && s != "NaN"
	case pgtype.UUIDOID:
		if len(src) != 16 {
			return "", false
		}
		var buf [36]byte
		formatUUID(&buf, src)
		return string(buf[:]), true
	case pgtype.DateOID:
		if len(src) != 4 {
			return "", false
		}
		days := int32(binary.BigEndian.Uint32(src))
		switch days {
		case math.MaxInt32:
			return "", false
		case math.MinInt32:
			return "-infinity", true
		}
		t := time.Unix(int64(days+pgEpochDays)*86400, 0).UTC()
		return t.Format("2006-01-02"), t.Year() >= 1 && t.Year() <= 9999
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		if len(src) != 8 {
			return "", false
		}
		us := int64(binary.BigEndian.Uint64(src))
		switch {
		case us == math.MaxInt64:
			return "", false
		case us == math.MinInt64:
			return "-infinity", true
		case us > math.MaxInt64-pgEpochMicros:
			return "", false
		}
		t := time.UnixMicro(us + pgEpochMicros).UTC()
		layout := "2006-01-02 15:04:05.000000"
		if oid == pgtype.TimestamptzOID {
			layout += "+00"
		}
		return t.Format(layout), t.Year() >= 1 && t.Year() <= 9999
	}
	// Text-like types: the bytes are the text.
	return string(src), true
}
