package pgtest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
)

var server *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &server)) }

func query(t *testing.T, url, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestCreateDatabase(t *testing.T) {
	a := server.CreateDatabase(t)
	b := server.CreateDatabase(t)
	if a == b {
		t.Fatalf("two databases with one URL %s", a)
	}
	pgtest.Exec(t, a, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
	if got := query(t, a, "SELECT count(*)::text FROM t"); got != "1" {
		t.Errorf("count = %s", got)
	}
	if got := query(t, b, "SELECT count(*)::text FROM pg_tables WHERE tablename = 't'"); got != "0" {
		t.Errorf("the second database sees the first's table")
	}
	if got := query(t, a, "SELECT current_setting('server_encoding')"); got != "UTF8" {
		t.Errorf("server_encoding = %s", got)
	}
}

func TestTLSWithTheServersCA(t *testing.T) {
	if server.External() {
		t.Skip("skipped: the server named by " + pgtest.EnvURL + " is not ours, so its CA is unknown")
	}
	u := strings.Replace(server.URL(), "sslmode=disable", "sslmode=verify-full&sslrootcert="+server.CAFile(), 1)
	if got := query(t, u, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"); got != "true" {
		t.Errorf("ssl = %s over a verify-full connection", got)
	}
	if got := query(t, server.URL(), "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"); got != "false" {
		t.Errorf("ssl = %s over an sslmode=disable connection", got)
	}
}
