package postgres_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/sdk"
)

func TestArgsBindToParameters(t *testing.T) {
	url := server.CreateDatabase(t)
	r := read(t, config(url, "SELECT $1::text AS s, $2::int AS i, $3::numeric(6,2) AS n, $4::bool AS b, $5::text[] AS l, $6::text AS z, $7::timestamptz AS at",
		`args = ["it's \"quoted\"", 42, 2.5, true, ["a", "b,c", "d\"e"], null, "2024-03-01T12:00:00Z"]`), nil)
	want := []string{`it's "quoted"|42|2.5|true|["a","b,c","d\"e"]|(null)|2024-03-01T12:00:00Z`}
	if got := r.rows(); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestArgsMustMatchParameters(t *testing.T) {
	url := server.CreateDatabase(t)
	_, _, err := open(t, config(url, "SELECT $1::int + $2::int AS x", `args = [1]`))
	if err == nil || !strings.Contains(err.Error(), "the query has 2 parameters ($1…) but args has 1 values") {
		t.Fatalf("got %v", err)
	}
	if d := sdk.AsDiagnostics(err); len(d) == 0 || d[0].Path.String() != "args" {
		t.Errorf("diagnostic %v, want one at args", d)
	}
}

func TestQueryErrorsPointIntoTheQuery(t *testing.T) {
	url := server.CreateDatabase(t)
	_, _, err := open(t, config(url, "SELECT 1 AS one,\n  nosuchcolumn"))
	want := `column "nosuchcolumn" does not exist (line 2, column 3 of the query) (SQLSTATE 42703)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	_, _, err = open(t, config(url, "SELECT 1 AS a, 2 AS a"))
	if err == nil || !strings.Contains(err.Error(), `two columns named "a"`) {
		t.Errorf("duplicate names: %v", err)
	}
}
