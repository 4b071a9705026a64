package synctest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/builtin"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

// example runs one of the pipelines in pipelines/ as its README says: from
// the repository's root, connected by the environment. The file is copied
// into a directory of its own so that its state (.sluice/ beside it) stays
// out of the repository.
type example struct {
	t    *testing.T
	path string
	srv  *emulator.Server
	env  map[string]string
}

func newExample(t *testing.T, name string, srv *emulator.Server) *example {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	dir := t.TempDir()
	e := &example{t: t, path: filepath.Join(dir, name), srv: srv, env: emulatorEnv(srv)}
	writeFile(t, e.path, fileText(t, filepath.Join("pipelines", name)))
	e.env["SLUICE_VAR_rejects"] = filepath.Join(dir, "rejects.jsonl")
	return e
}

func (e *example) run(opts engine.RunOptions) (engine.Stats, error) {
	e.t.Helper()
	eng, err := engine.New(engine.WithPlugins(builtin.Plugins()...))
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := eng.Load(e.path, engine.Inputs{LookupEnv: func(k string) (string, bool) { v, ok := e.env[k]; return v, ok }})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Run(context.Background(), opts)
}

func (e *example) mustRun(opts engine.RunOptions) (source, sink engine.NodeStats, tr traffic) {
	e.t.Helper()
	e.srv.ResetRequestLog()
	stats, err := e.run(opts)
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	for _, n := range stats.Nodes {
		switch {
		case n.Kind == "source":
			source = n
		case n.Address == "sink.contacts":
			sink = n
		}
	}
	return source, sink, logTraffic(e.srv.RequestLog())
}

// pipelines/parquet-to-dynamics.hcl: a change-only sync from Parquet with
// DuckDB, deactivating the contacts of customers who leave the segment.
func TestExampleParquetToDynamics(t *testing.T) {
	srv := startEmulator(t)
	e := newExample(t, "parquet-to-dynamics.hcl", srv)
	src, sink, tr := e.mustRun(engine.RunOptions{})
	if src.In == 0 || sink.Out != src.In || tr.records != int(src.In) {
		t.Fatalf("first run: read %d, sink %+v, %d records written", src.In, sink, tr.records)
	}
	if _, sink, tr := e.mustRun(engine.RunOptions{}); tr.writeRequests != 0 || sink.Unchanged != src.In {
		t.Errorf("second run: %d write requests, %+v", tr.writeRequests, sink)
	}
	// A higher bar: a couple of customers leave, under the 10% rail.
	e.env["SLUICE_VAR_min_value"] = "150"
	_, sink, _ = e.mustRun(engine.RunOptions{})
	inactive := 0
	for _, c := range contacts(t, srv) {
		if fmt.Sprint(c["statecode"]) == "1" {
			inactive++
		}
	}
	if sink.Left == 0 || int64(inactive) != sink.Left || len(contacts(t, srv)) != int(src.In) {
		t.Errorf("leaving: %+v, %d contacts inactive", sink, inactive)
	}
	// Most of them: the rail.
	e.env["SLUICE_VAR_min_value"] = "500"
	if _, err := e.run(engine.RunOptions{}); err == nil || !strings.Contains(err.Error(), "--allow-mass-delete") {
		t.Errorf("a mass deactivation: %v", err)
	}
}

// pipelines/postgres-to-dynamics.hcl over pipelines/warehouse.sql: an
// incremental read, whose rows touched without a change are held back by
// the sync.
func TestExamplePostgresToDynamics(t *testing.T) {
	srv := startEmulator(t)
	e := newExample(t, "postgres-to-dynamics.hcl", srv)
	url := pg.CreateDatabase(t)
	e.env["WAREHOUSE_URL"] = url
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	runSQLFile(t, conn, "pipelines/warehouse.sql")
	var eu int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM crm_segment WHERE region = 'EU' AND is_active`).Scan(&eu); err != nil || eu == 0 {
		t.Fatalf("%d active EU customers: %v", eu, err)
	}

	src, sink, tr := e.mustRun(engine.RunOptions{})
	if src.In != eu || sink.Out == 0 || tr.records != int(sink.Out) {
		t.Fatalf("first run: read %d of %d, sink %+v, %d records written", src.In, eu, sink, tr.records)
	}
	if src, _, tr := e.mustRun(engine.RunOptions{}); src.In != 0 || tr.writeRequests != 0 {
		t.Errorf("second run: read %d rows, %d write requests; want nothing new", src.In, tr.writeRequests)
	}
	// One customer moves; another is touched without a change.
	if _, err := conn.Exec(ctx, `
		WITH two AS (SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS n FROM crm_segment
		             WHERE region = 'EU' AND is_active AND email LIKE '%@%' AND length(email) < 60 LIMIT 2)
		UPDATE crm_segment c SET updated_at = now() - interval '5 minutes',
		       city = CASE WHEN two.n = 1 THEN 'Lisbon' ELSE c.city END
		FROM two WHERE c.customer_id = two.customer_id`); err != nil {
		t.Fatal(err)
	}
	src, sink, tr = e.mustRun(engine.RunOptions{})
	if src.In != 2 || sink.Unchanged != 1 || tr.records != 1 {
		t.Errorf("after two updates: read %d, sink %+v, %d records written; want 2 read, 1 unchanged, 1 written", src.In, sink, tr.records)
	}
	lisbon := 0
	for _, c := range contacts(t, srv) {
		if c["address1_city"] == "Lisbon" {
			lisbon++
		}
	}
	if lisbon != 1 {
		t.Errorf("%d contacts in Lisbon, want 1", lisbon)
	}
}

var copyLine = regexp.MustCompile(`^\\copy (\S+ \([^)]*\)) FROM '([^']+)' WITH (\(.*\))$`)

// runSQLFile runs a file for psql: statements ending with ";" at the end of
// a line, and \copy … FROM 'file', sent as COPY FROM STDIN.
func runSQLFile(t *testing.T, conn *pgx.Conn, path string) {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stmt strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "--"):
		case strings.HasPrefix(line, `\copy`):
			m := copyLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%s: cannot read %q", path, line)
			}
			data, err := os.Open(m[2])
			if err != nil {
				t.Fatal(err)
			}
			_, err = conn.PgConn().CopyFrom(ctx, data, "COPY "+m[1]+" FROM STDIN WITH "+m[3])
			data.Close()
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
		default:
			stmt.WriteString(line)
			stmt.WriteByte('\n')
			if strings.HasSuffix(strings.TrimSpace(line), ";") {
				if _, err := conn.Exec(ctx, stmt.String()); err != nil {
					t.Fatalf("%s: %v", stmt.String(), err)
				}
				stmt.Reset()
			}
		}
	}
}
