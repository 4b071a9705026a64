package postgres_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
	"github.com/sluicedata/sluice/sdk"
)

const incrementalBlock = `incremental {
  cursor = ["updated_at", "id"]
}`

// TestIncrementalResumesAfterTheHighWaterMark reads a table, changes it,
// and checks that the next run reads exactly the new and changed rows —
// including a new row that ties with the old high-water mark's updated_at.
func TestIncrementalResumesAfterTheHighWaterMark(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE customers (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL);
INSERT INTO customers
SELECT i, 'c' || i || '@example.com', '2024-01-01'::timestamptz + ((i / 3) || ' hours')::interval
FROM generate_series(1, 10) i`)
	body := config(url, "SELECT id, email FROM customers -- a trailing comment\n;", "batch_rows = 3", incrementalBlock)
	// The cursor columns must be in the result: updated_at is not.
	if _, _, err := open(t, body); err == nil || !strings.Contains(err.Error(), `no column "updated_at"`) {
		t.Fatalf("open without the cursor column: %v", err)
	}
	body = config(url, "SELECT id, email, updated_at FROM customers -- a trailing comment\n;", "batch_rows = 3", incrementalBlock)
	first := read(t, body, nil)
	if n := len(first.rows()); n != 10 {
		t.Fatalf("first run read %d rows, want 10", n)
	}
	var ids []string
	for _, r := range first.rows() {
		ids = append(ids, strings.Split(r, "|")[0])
	}
	if want := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}; !slices.Equal(ids, want) {
		t.Errorf("first run read ids %v, want cursor order %v", ids, want)
	}
	cp := first.last()
	if want := `{"cursor":["updated_at","id"],"after":["2024-01-01 03:00:00.000000+00","10"]}`; string(cp) != want {
		t.Errorf("checkpoint %s, want %s", cp, want)
	}

	// Nothing changed: nothing to read, and no checkpoint to move.
	if again := read(t, body, cp); len(again.rows()) != 0 || again.last() != nil {
		t.Errorf("an unchanged table read %v with checkpoint %s", again.rows(), again.last())
	}

	// Resuming from the first run's middle checkpoints reads exactly the
	// rest: every checkpoint is a clean cut.
	for i, b := range first.batches {
		if b.Checkpoint == nil {
			continue
		}
		rest := read(t, body, b.Checkpoint)
		var wantRest int
		for _, later := range first.batches[i+1:] {
			wantRest += int(later.Record.NumRows())
		}
		if n := len(rest.rows()); n != wantRest {
			t.Errorf("resuming after batch %d read %d rows, want %d", i, n, wantRest)
		}
	}

	pgtest.Exec(t, url, `
INSERT INTO customers VALUES (11, 'tie@example.com', '2024-01-01 03:00:00+00');  -- ties with id 10's updated_at
INSERT INTO customers VALUES (12, 'new@example.com', '2024-01-02');
UPDATE customers SET email = 'changed@example.com', updated_at = '2024-01-01 05:00:00+00' WHERE id = 4;
INSERT INTO customers VALUES (0, 'old@example.com', '2023-12-31');  -- behind the mark: never seen`)
	second := read(t, body, cp)
	want := []string{
		"11|tie@example.com|2024-01-01T03:00:00Z",
		"4|changed@example.com|2024-01-01T05:00:00Z",
		"12|new@example.com|2024-01-02T00:00:00Z",
	}
	if got := second.rows(); !slices.Equal(got, want) {
		t.Errorf("second run\ngot  %q\nwant %q", got, want)
	}
}

// TestIncrementalTiesAcrossBatches uses a cursor that is not unique, so
// many rows share a value, and checks that no checkpoint falls inside a
// tie: resuming from any checkpoint loses and repeats nothing.
func TestIncrementalTiesAcrossBatches(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE ev (id int, day date NOT NULL);
INSERT INTO ev SELECT i, '2024-01-01'::date + (i / 5) FROM generate_series(0, 19) i`)
	body := config(url, "SELECT id, day FROM ev", "batch_rows = 3", `incremental {
  cursor = ["day"]
}`)
	all := read(t, body, nil)
	if n := len(all.rows()); n != 20 {
		t.Fatalf("read %d rows, want 20", n)
	}
	seen := 0
	for i, b := range all.batches {
		seen += int(b.Record.NumRows())
		if b.Checkpoint == nil {
			continue
		}
		// A checkpoint only where a day ends: after 5, 10, 15, 20 rows.
		if seen%5 != 0 {
			t.Errorf("batch %d ends after %d rows, inside a day, with checkpoint %s", i, seen, b.Checkpoint)
		}
		if n := len(read(t, body, b.Checkpoint).rows()); n != 20-seen {
			t.Errorf("resuming after batch %d read %d rows, want %d", i, n, 20-seen)
		}
	}
}

// TestIncrementalWithArgsLagAndNulls checks the parameters the source adds
// follow the user's own, that lag leaves recent rows for the next run,
// and that rows with a null cursor are never read.
func TestIncrementalWithArgsLagAndNulls(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE c (id int, region text, updated_at timestamp);
INSERT INTO c VALUES
  (1, 'eu', now() - interval '2 hours'),
  (2, 'us', now() - interval '2 hours'),
  (3, 'eu', now() - interval '90 minutes'),
  (4, 'eu', now()),
  (5, 'eu', NULL)`)
	body := config(url, "SELECT id, region, updated_at FROM c WHERE region = $1", `args = ["eu"]`, `incremental {
  cursor = ["updated_at", "id"]
  lag    = "1h"
}`)
	r := read(t, body, nil)
	var ids []string
	for _, row := range r.rows() {
		ids = append(ids, strings.Split(row, "|")[0])
	}
	if !slices.Equal(ids, []string{"1", "3"}) {
		t.Errorf("read ids %v, want [1 3]: eu rows older than the lag, not null", ids)
	}
	pgtest.Exec(t, url, `UPDATE c SET updated_at = now() - interval '61 minutes' WHERE id = 4`)
	r2 := read(t, body, r.last())
	if got := r2.rows(); len(got) != 1 || !strings.HasPrefix(got[0], "4|") {
		t.Errorf("second run read %q, want row 4", got)
	}
}

func TestIncrementalConfigurationMistakes(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE m (id int, score float8, name text, at timestamptz)`)
	for _, c := range []struct {
		query, block, want string
		path               sdk.Path
	}{
		{"SELECT id, score FROM m", `cursor = ["score"]`, `column "score" has type double precision, which cannot be a cursor`, sdk.Path{"incremental", "cursor"}},
		{"SELECT id, name FROM m", "cursor = [\"name\"]\nlag = \"5m\"", `lag needs a date or timestamp as the first cursor column`, sdk.Path{"incremental", "lag"}},
		{"SELECT id FROM m", `cursor = ["at"]`, `the query returns no column "at"; its columns are id`, sdk.Path{"incremental", "cursor"}},
	} {
		_, _, err := open(t, config(url, c.query, "incremental {\n"+c.block+"\n}"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s with %s: got %v, want %q", c.query, c.block, err, c.want)
			continue
		}
		if d := sdk.AsDiagnostics(err); len(d) == 0 || d[0].Path.String() != c.path.String() {
			t.Errorf("%s: diagnostic at %v, want %s", c.query, d, c.path)
		}
	}
	// A checkpoint taken with another cursor is refused, not misread.
	src, _, err := open(t, config(url, "SELECT id, at FROM m", "incremental {\ncursor = [\"at\", \"id\"]\n}"))
	if err != nil {
		t.Fatal(err)
	}
	err = src.Read(t.Context(), sdk.Checkpoint(`{"cursor":["id"],"after":["5"]}`), nil)
	if err == nil || !strings.Contains(err.Error(), `incremental.cursor is now ["at" "id"]`) {
		t.Errorf("read from another cursor's checkpoint: %v", err)
	}
}

// TestIncrementalInfinityNeverBecomesTheMark checks that a row whose cursor
// is +infinity is rejected, and that the checkpoint stays at the last row
// before it, so later rows are still read.
func TestIncrementalInfinityNeverBecomesTheMark(t *testing.T) {
	url := server.CreateDatabase(t)
	pgtest.Exec(t, url, `CREATE TABLE c (id int, updated_at timestamptz NOT NULL);
INSERT INTO c VALUES (1, '2024-01-01'), (2, 'infinity'), (3, '2024-01-02')`)
	body := config(url, "SELECT id, updated_at FROM c", incrementalBlock)
	first := read(t, body, nil)
	if got := first.rows(); !slices.Equal(got, []string{"1|2024-01-01T00:00:00Z", "3|2024-01-02T00:00:00Z"}) {
		t.Errorf("first run read %q", got)
	}
	if n := len(first.rejects()); n != 1 {
		t.Errorf("%d rows rejected, want the infinite one", n)
	}
	if want := `{"cursor":["updated_at","id"],"after":["2024-01-02 00:00:00.000000+00","3"]}`; string(first.last()) != want {
		t.Errorf("checkpoint %s, want %s", first.last(), want)
	}
	pgtest.Exec(t, url, `INSERT INTO c VALUES (4, '2024-01-03')`)
	second := read(t, body, first.last())
	if got := second.rows(); !slices.Equal(got, []string{"4|2024-01-03T00:00:00Z"}) || len(second.rejects()) != 1 {
		t.Errorf("second run read %q and rejected %d", got, len(second.rejects()))
	}
}

// TestCursorTypes resumes from every checkpoint with cursors of each
// allowed type, so each type's checkpoint text is parsed back by the server
// to exactly the value it came from.
func TestCursorTypes(t *testing.T) {
	url := server.CreateDatabase(t)
	for _, c := range []struct{ typ, expr string }{
		{"smallint", "(i % 7)::smallint"},
		{"integer", "i * 3"},
		{"numeric", "(i % 9) / 7.0"},
		{"numeric(10,3)", "((i % 9) / 7.0)::numeric(10,3)"},
		{"text", "'k' || (i % 11)"},
		{"varchar(10)", "('é' || (i % 11))::varchar(10)"},
		{"uuid", "md5((i % 13)::text)::uuid"},
		{"date", "'1999-12-31'::date + (i % 5)"},
		{"timestamp", "'2024-01-01 00:00:00.123456'::timestamp + (i % 5) * interval '1.000001 second'"},
		{"timestamptz", "'1969-07-20 20:17:40+00'::timestamptz + (i % 5) * interval '1 microsecond'"},
	} {
		t.Run(strings.ReplaceAll(c.typ, " ", "_"), func(t *testing.T) {
			table := "c_" + strings.NewReplacer("(", "_", ")", "", ",", "_").Replace(c.typ)
			pgtest.Exec(t, url, fmt.Sprintf("CREATE TABLE %s AS SELECT i AS id, (%s)::%s AS k FROM generate_series(1, 60) i", table, c.expr, c.typ))
			body := config(url, "SELECT k, id FROM "+table, "batch_rows = 7", "incremental {\n  cursor = [\"k\", \"id\"]\n}")
			all := read(t, body, nil)
			seen := 0
			for i, b := range all.batches {
				seen += int(b.Record.NumRows())
				if b.Checkpoint == nil {
					t.Errorf("batch %d has no checkpoint; the cursor is unique", i)
					continue
				}
				if n := len(read(t, body, b.Checkpoint).rows()); n != 60-seen {
					t.Errorf("resuming after batch %d (%s) read %d rows, want %d", i, b.Checkpoint, n, 60-seen)
				}
			}
		})
	}
}
