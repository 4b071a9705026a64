package postgres_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
)

// TestTypeMapping reads one row of each value class per type — ordinary,
// extreme, null — and checks the Arrow type and the value of each column.
func TestTypeMapping(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE EXTENSION IF NOT EXISTS citext`)
	cases := []struct {
		sqlType   string
		arrowType string
		values    []string // SQL literals
		want      []string // ValueStr of each
	}{
		{"smallint", "int16", []string{"-32768", "32767", "0"}, []string{"-32768", "32767", "0"}},
		{"integer", "int32", []string{"-2147483648", "2147483647"}, []string{"-2147483648", "2147483647"}},
		{"bigint", "int64", []string{"-9223372036854775808", "9223372036854775807"}, []string{"-9223372036854775808", "9223372036854775807"}},
		{"real", "float32", []string{"1.5", "-3.4e38", "'NaN'", "'Infinity'"}, []string{"1.5", "-3.4e+38", "NaN", "+Inf"}},
		{"double precision", "float64", []string{"0.1", "1.7976931348623157e308", "5e-324", "'-Infinity'"}, []string{"0.1", "1.7976931348623157e+308", "5e-324", "-Inf"}},
		{"numeric(10,2)", "decimal(10, 2)", []string{"12345678.91", "-0.01", "0", "99999999.99", "7"}, []string{"12345678.91", "-0.01", "0", "99999999.99", "7"}},
		{"numeric(38,0)", "decimal(38, 0)", []string{"99999999999999999999999999999999999999", "-12345678901234567890123456789012345678"}, []string{"99999999999999999999999999999999999999", "-12345678901234567890123456789012345678"}},
		{"numeric(38,37)", "decimal(38, 37)", []string{"1.2345678901234567890123456789012345678", "-0.0000000000000000000000000000000000001"}, []string{"1.2345678901234567890123456789012345678", "-1e-37"}},
		{"numeric(6,4)", "decimal(6, 4)", []string{"0.0001", "12.5"}, []string{"0.0001", "12.5"}},
		{"numeric(20,0)", "decimal(20, 0)", []string{"10000", "100000000"}, []string{"10000", "100000000"}},
		{"numeric", "utf8", []string{"123.4500", "0.000000000000000000000000000000000000000000001", "'NaN'", "1e50"}, []string{"123.4500", "0.000000000000000000000000000000000000000000001", "NaN", "100000000000000000000000000000000000000000000000000"}},
		{"numeric(50,2)", "utf8", []string{"1.50"}, []string{"1.50"}},
		{"text", "utf8", []string{"'héllo wörld ✓'", "''", "'emoji 😀'"}, []string{"héllo wörld ✓", "", "emoji 😀"}},
		{"varchar(5)", "utf8", []string{"'abc'"}, []string{"abc"}},
		{"char(4)", "utf8", []string{"'ab'"}, []string{"ab  "}},
		{"citext", "utf8", []string{"'MiXeD'"}, []string{"MiXeD"}},
		{"boolean", "bool", []string{"true", "false"}, []string{"true", "false"}},
		{"date", "date32", []string{"'2024-02-29'", "'0001-01-01'", "'1970-01-01'", "'4713-01-01 BC'", "'5874897-12-31'"}, []string{"2024-02-29", "0001-01-01", "1970-01-01", "-4712-01-01", "5874897-12-31"}},
		{"timestamp", "timestamp[us]", []string{"'2024-05-01 10:11:12.123456'", "'1969-12-31 23:59:59.999999'"}, []string{"2024-05-01T10:11:12.123456", "1969-12-31T23:59:59.999999"}},
		{"timestamptz", "timestamp[us, tz=UTC]", []string{"'2024-05-01 10:11:12.5+02'", "'1900-01-01 00:00:00+00'"}, []string{"2024-05-01T08:11:12.5Z", "1900-01-01T00:00:00Z"}},
		{"uuid", "utf8", []string{"'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'"}, []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
		{"json", "utf8", []string{`'{"b": 1,  "a": [true]}'`}, []string{`{"b": 1,  "a": [true]}`}},
		{"jsonb", "utf8", []string{`'{"b": 1,  "a": [true, "é"]}'`}, []string{`{"a": [true, "é"], "b": 1}`}},
		{"bytea", "binary", []string{`'\x00ff10'`, `''`}, []string{"AP8Q", ""}},
		{"integer[]", "list<item: int32, nullable>", []string{"'{1,2,NULL,4}'", "'{}'", "'[5:6]={7,8}'"}, []string{"[1,2,null,4]", "[]", "[7,8]"}},
		{"text[]", "list<item: utf8, nullable>", []string{`'{"a,b","ü",NULL}'`}, []string{`["a,b","ü",null]`}},
		{"numeric(5,2)[]", "list<item: decimal(5, 2), nullable>", []string{"'{1.5,-2.25}'"}, []string{`["1.5","-2.25"]`}},
		{"timestamptz[]", "list<item: timestamp[us, tz=UTC], nullable>", []string{"ARRAY['2024-01-01 00:00:00+00'::timestamptz]"}, []string{`["2024-01-01T00:00:00Z"]`}},
		{"numeric[]", "utf8", []string{"'{1.5,2}'"}, []string{"{1.5,2}"}},
		{"interval", "utf8", []string{"'1 day 02:00:00'"}, []string{"1 day 02:00:00"}},
		{"inet", "utf8", []string{"'10.0.0.1/8'"}, []string{"10.0.0.1/8"}},
		{"time", "utf8", []string{"'13:14:15'"}, []string{"13:14:15"}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.sqlType, " ", "_"), func(t *testing.T) {
			// A table with the type, so the column keeps its modifier: one
			// row per value, then a NULL, in order of n.
			table := "t_" + strings.NewReplacer(" ", "_", "(", "_", ")", "_", ",", "_", "[", "a", "]", "").Replace(c.sqlType)
			var ins []string
			for i, v := range c.values {
				ins = append(ins, "("+itoa(i)+", ("+v+")::"+c.sqlType+")")
			}
			ins = append(ins, "("+itoa(len(c.values))+", NULL)")
			pgtest.Exec(t, url, "CREATE TABLE "+table+" (n int, v "+c.sqlType+"); INSERT INTO "+table+" VALUES "+strings.Join(ins, ", "))
			q := "SELECT v FROM " + table + " ORDER BY n"
			r := read(t, config(url, q), nil)
			if got := r.schema.Field(0).Type.String(); got != c.arrowType {
				t.Errorf("Arrow type %s, want %s", got, c.arrowType)
			}
			if rej := r.rejects(); len(rej) > 0 {
				t.Fatalf("rejected: %v", rej)
			}
			want := append(slices.Clone(c.want), "(null)")
			if got := r.rows(); !slices.Equal(got, want) {
				t.Errorf("values\ngot  %q\nwant %q", got, want)
			}
		})
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// TestUnconvertibleValuesRejectTheirRows checks that a value with no Arrow
// equivalent rejects its row, with the column and the reason, and that the
// other rows of the batch go on.
func TestUnconvertibleValuesRejectTheirRows(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE t (id int, d date, ts timestamptz, n numeric(8,2), a int[]);
INSERT INTO t VALUES
  (1, '2024-01-01', '2024-01-01', 1.5, '{1}'),
  (2, 'infinity', '2024-01-01', 1.5, '{1}'),
  (3, '2024-01-01', '-infinity', 1.5, '{1}'),
  (4, '2024-01-01', '2024-01-01', 'NaN', '{1}'),
  (5, '2024-01-01', '2024-01-01', 2.5, '{{1,2},{3,4}}'),
  (6, '2024-01-02', '2024-01-02', 3.5, NULL)`)
	r := read(t, config(url, "SELECT * FROM t ORDER BY id", "batch_rows = 4"), nil)
	want := []string{
		`1|2024-01-01|2024-01-01T00:00:00Z|1.5|[1]`,
		`6|2024-01-02|2024-01-02T00:00:00Z|3.5|(null)`,
	}
	if got := r.rows(); !slices.Equal(got, want) {
		t.Errorf("rows\ngot  %q\nwant %q", got, want)
	}
	var got []string
	for _, e := range r.rejects() {
		if e.Code != "postgres.convert" {
			t.Errorf("code %q", e.Code)
		}
		got = append(got, e.Message)
	}
	wantMsgs := []string{
		`column "d": date infinity has no Arrow equivalent`,
		`column "ts": timestamp -infinity has no Arrow equivalent`,
		`column "n": numeric NaN has no decimal equivalent`,
		`column "a": a 2-dimensional array does not fit a list; unnest it, or cast it to text in the query`,
	}
	if !slices.Equal(got, wantMsgs) {
		t.Errorf("reasons\ngot  %q\nwant %q", got, wantMsgs)
	}
	// Row indexes are within their batch: rows 2-4 are rows 1-3 of the
	// first batch, row 5 row 0 of the second.
	var rows []int
	for _, e := range r.rejects() {
		rows = append(rows, e.Row)
	}
	if !slices.Equal(rows, []int{1, 2, 3, 0}) {
		t.Errorf("rejected rows %v, want [1 2 3 0]", rows)
	}
}
