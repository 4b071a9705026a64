// Package pgtest starts a throwaway PostgreSQL server for the tests of one
// package, so that code talking to PostgreSQL is tested against the real
// thing with no manual setup.
//
// A test package starts one server in TestMain and shares it:
//
//	var server *pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &server)) }
//
//	func TestSomething(t *testing.T) {
//		url := server.CreateDatabase(t) // a fresh database, dropped when t ends
//		…
//	}
//
// Start runs initdb into a new temporary directory, starts postgres on a free
// loopback port (and a unix socket in that directory), waits until it accepts
// connections and creates a database; Stop shuts it down and removes the
// directory. The server listens with TLS on (a certificate signed by a CA that
// Start generates; see [Server.CAFile]) and password authentication over TCP,
// so tests can exercise sslmode and credential handling; the role [CertUser]
// logs in with a client certificate instead ([Server.ClientCert]), so tests
// can exercise that too. Durability is
// switched off (fsync, synchronous_commit): the data is thrown away anyway.
//
// PostgreSQL refuses to run as root. When the tests run as root, as they do
// in CI, the server runs as the "postgres" system user that Debian's packages
// create, and the directory is handed to that user.
//
// The server binaries (initdb, postgres) are looked up in
// $SLUICE_TEST_POSTGRES_BIN, then $PATH, then /usr/lib/postgresql/*/bin
// (Debian's layout; the newest version wins). `make testdeps` installs them.
// When SLUICE_TEST_POSTGRES_URL is set, no server is started: the tests use
// that server, creating and dropping their own databases in it.
//
// When no server can be had, Start returns an error that says what to
// install; Run prints it and fails the package. Tests never skip for want of
// a server.
package pgtest
