package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable that points the tests at an existing
// server instead of starting one. Its user must be allowed to create
// databases.
const EnvURL = "SLUICE_TEST_POSTGRES_URL"

// EnvBin names the environment variable that names the directory holding
// initdb and postgres, when they are neither in $PATH nor where Debian puts
// them.
const EnvBin = "SLUICE_TEST_POSTGRES_BIN"

// Database is the name of the database Start creates.
const Database = "sluice"

// CertUser is a role of a started server that logs in over TLS with the
// client certificate [Server.ClientCert] names, and no password: PostgreSQL's
// cert authentication.
const CertUser = "sluice_cert"

// Server is a PostgreSQL server for tests: one Start started, or an existing
// one named by SLUICE_TEST_POSTGRES_URL.
type Server struct {
	url      string // superuser URL of Database
	password string
	caFile   string
	dir      string // the temporary directory; "" for an external server
	cmd      *exec.Cmd
	exited   chan struct{}
	logPath  string

	// clientCert and clientKey are CertUser's certificate and key.
	clientCert, clientKey string

	mu    sync.Mutex
	dbSeq int
}

// URL is a connection URL of the server's database as a superuser, with
// sslmode=disable. Tests that need their own database use CreateDatabase.
func (s *Server) URL() string { return s.url }

// Password is the superuser's password, so tests can check it never shows.
// It is empty for an external server whose URL has none.
func (s *Server) Password() string { return s.password }

// CAFile is the PEM file of the CA that signed the server's TLS certificate,
// whose names are localhost and 127.0.0.1. It is empty for an external
// server.
func (s *Server) CAFile() string { return s.caFile }

// ClientCert is the PEM certificate and key, signed by the CA of CAFile,
// with which CertUser logs in. Both are empty for an external server.
func (s *Server) ClientCert() (certFile, keyFile string) { return s.clientCert, s.clientKey }

// External reports whether the server is one SLUICE_TEST_POSTGRES_URL named.
func (s *Server) External() bool { return s.dir == "" }

// Start starts a server, or returns the one SLUICE_TEST_POSTGRES_URL names
// after checking that it answers. The caller must Stop it.
func Start(ctx context.Context) (*Server, error) {
	if u := os.Getenv(EnvURL); u != "" {
		s := &Server{url: u}
		if pu, err := url.Parse(u); err == nil && pu.User != nil {
			s.password, _ = pu.User.Password()
		}
		if err := ping(ctx, u); err != nil {
			return nil, fmt.Errorf("pgtest: %s is set, but its server does not answer: %w", EnvURL, redact(err, s.password))
		}
		return s, nil
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	s := &Server{password: randomHex(12), exited: make(chan struct{})}
	// As root, the directory must be reachable by the postgres user: /tmp
	// is, whatever $TMPDIR says.
	parent := ""
	if owner.uid != nil {
		parent = "/tmp"
	}
	if s.dir, err = os.MkdirTemp(parent, "sluice-pgtest-"); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := s.start(ctx, bin, owner); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, bin string, owner *account) error {
	data := filepath.Join(s.dir, "data")
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	certs, err := writeCertificates(s.dir)
	if err != nil {
		return err
	}
	s.caFile, s.clientCert, s.clientKey = certs.ca, certs.clientCert, certs.clientKey
	if err := owner.own(s.dir); err != nil {
		return err
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = owner.procAttr()
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb failed: %w\n%s", err, out)
	}
	// CertUser logs in by client certificate only; the first matching line
	// of pg_hba.conf decides.
	hba := filepath.Join(data, "pg_hba.conf")
	rules, err := os.ReadFile(hba)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := os.WriteFile(hba, append([]byte("hostssl all "+CertUser+" 127.0.0.1/32 cert\n"), rules...), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.logPath = filepath.Join(s.dir, "postgres.log")
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close()
	s.cmd = exec.Command(filepath.Join(bin, "postgres"),
		"-D", data,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "ssl=on",
		"-c", "ssl_cert_file="+certs.serverCert,
		"-c", "ssl_key_file="+certs.serverKey,
		"-c", "ssl_ca_file="+certs.ca,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "log_min_messages=warning",
	)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = owner.procAttr()
	dieWithParent(s.cmd.SysProcAttr)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	u := &url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword("postgres", s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	if err := s.waitReady(ctx, u.String()); err != nil {
		return err
	}
	if err := exec1(ctx, u.String(), "CREATE DATABASE "+Database); err != nil {
		return fmt.Errorf("pgtest: creating database %s: %w", Database, err)
	}
	if err := exec1(ctx, u.String(), "CREATE ROLE "+CertUser+" LOGIN"); err != nil {
		return fmt.Errorf("pgtest: creating role %s: %w", CertUser, err)
	}
	u.Path = "/" + Database
	s.url = u.String()
	return nil
}

// waitReady polls the server until it accepts a connection.
func (s *Server) waitReady(ctx context.Context, u string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := ping(ctx, u)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pgtest: postgres exited while starting:\n%s", s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres did not accept connections within a minute: %v\n%s", redact(err, s.password), s.logTail())
		}
	}
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop shuts the server down and removes its directory. For an external
// server it does nothing. It is safe to call more than once.
func (s *Server) Stop() error {
	if s == nil || s.dir == "" {
		return nil
	}
	var err error
	if s.cmd != nil && s.cmd.Process != nil {
		// SIGINT is PostgreSQL's fast shutdown: roll back, disconnect,
		// stop. SIGQUIT (immediate) if that takes too long.
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Signal(syscall.SIGQUIT)
			<-s.exited
			err = errors.New("pgtest: postgres did not stop within 15 seconds")
		}
		s.cmd = nil
	}
	if rmErr := os.RemoveAll(s.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	s.dir = ""
	return err
}

// ping connects and runs a trivial query.
func ping(ctx context.Context, u string) error {
	return exec1(ctx, u, "SELECT 1")
}

func exec1(ctx context.Context, u, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redact removes the password from an error's text.
func redact(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "********"))
}
