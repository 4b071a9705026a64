//go:build cgo

package duckdb_test

import (
	"slices"
	"testing"
)

func TestTypeMapping(t *testing.T) {
	cases := []struct {
		sql, arrowType string
		want           []string
	}{
		{"SELECT 42::TINYINT AS v UNION ALL SELECT NULL", "int8", []string{"42", "(null)"}},
		{"SELECT (-32768)::SMALLINT AS v", "int16", []string{"-32768"}},
		{"SELECT 2147483647::INTEGER AS v", "int32", []string{"2147483647"}},
		{"SELECT (-9223372036854775808)::BIGINT AS v", "int64", []string{"-9223372036854775808"}},
		{"SELECT 18446744073709551615::UBIGINT AS v", "uint64", []string{"18446744073709551615"}},
		{"SELECT 1.5::FLOAT AS v", "float32", []string{"1.5"}},
		{"SELECT 0.1::DOUBLE AS v", "float64", []string{"0.1"}},
		{"SELECT 12345678.91::DECIMAL(10,2) AS v", "decimal(10, 2)", []string{"12345678.91"}},
		{"SELECT 99999999999999999999999999999999999999::DECIMAL(38,0) AS v", "decimal(38, 0)", []string{"99999999999999999999999999999999999999"}},
		{"SELECT 'héllo ✓ 😀'::VARCHAR AS v", "utf8", []string{"héllo ✓ 😀"}},
		{"SELECT true AS v", "bool", []string{"true"}},
		{"SELECT DATE '2024-02-29' AS v", "date32", []string{"2024-02-29"}},
		{"SELECT TIMESTAMP '2024-05-01 10:11:12.123456' AS v", "timestamp[us]", []string{"2024-05-01T10:11:12.123456"}},
		{"SELECT TIMESTAMPTZ '2024-05-01 10:11:12.5+02' AS v", "timestamp[us, tz=UTC]", []string{"2024-05-01T08:11:12.5Z"}},
		{"SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS v", "utf8", []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
		{"SELECT '\\xAA\\x00'::BLOB AS v", "binary", []string{"qgA="}},
		{"SELECT [1, NULL, 3]::INTEGER[] AS v", "list<l: int32, nullable>", []string{"[1,null,3]"}},
		{"SELECT {'a': 1, 'b': 'x'} AS v", "struct<a: int32 nullable, b: utf8 nullable>", []string{`{"a":1,"b":"x"}`}},
		{"SELECT [TIMESTAMPTZ '2024-01-01 00:00:00+00'] AS v", "list<l: timestamp[us, tz=UTC], nullable>", []string{`["2024-01-01T00:00:00Z"]`}},
		{"SELECT (-12345678901234567890123456789)::HUGEINT AS v", "decimal(38, 0)", []string{"-12345678901234567890123456789"}},
		{"SELECT INTERVAL 3 DAY AS v", "month_day_nano_interval", []string{`{"months":0,"days":3,"nanoseconds":0}`}},
		{"SELECT 'b'::ENUM('a', 'b') AS v", "dictionary<values=utf8, indices=uint8, ordered=false>", []string{"b"}},
		{"SELECT MAP {'k': 1} AS v", "map<utf8, int32, items_nullable>", []string{`[{"key":"k","value":1}]`}},
		{"SELECT TIME '13:14:15' AS v", "time64[us]", []string{"13:14:15.000000"}},
	}
	for _, c := range cases {
		t.Run(c.arrowType, func(t *testing.T) {
			r := read(t, query(c.sql), nil)
			if got := r.schema.Field(0).Type.String(); got != c.arrowType {
				t.Errorf("%s: Arrow type %s, want %s", c.sql, got, c.arrowType)
			}
			if got := r.rows(); !slices.Equal(got, c.want) {
				t.Errorf("%s: values %q, want %q", c.sql, got, c.want)
			}
		})
	}
}
