package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run is the body of a TestMain: it starts a server, stores it in *srv, runs
// the package's tests and stops the server. It returns the exit code for
// os.Exit. When no server can be started, it prints why and what to install,
// and returns 1 without running the tests.
func Run(m *testing.M, srv **Server) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start a PostgreSQL server for the tests:\n%v\n", err)
		return 1
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// CreateDatabase creates a database for one test and returns its URL, with
// the server's superuser and sslmode=disable. The database is dropped when
// the test ends.
func (s *Server) CreateDatabase(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.dbSeq++
	name := fmt.Sprintf("sluice_test_%d_%s", s.dbSeq, randomHex(4))
	s.mu.Unlock()
	ctx := context.Background()
	if err := exec1(ctx, s.url, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, redact(err, s.password))
	}
	t.Cleanup(func() {
		// WITH (FORCE) ends connections a failed test left open.
		if err := exec1(ctx, s.url, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, redact(err, s.password))
		}
	})
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Exec runs SQL statements against the database at url, failing the test on
// error: a convenience for setting up tables.
func Exec(t testing.TB, url string, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: connecting: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("pgtest: %v\n%s", err, sql)
	}
}
