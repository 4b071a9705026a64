package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Server is a running emulator.
type Server struct {
	// TenantID, ClientID and ClientSecret are the main application user's credentials.
	TenantID     string
	ClientID     string
	ClientSecret string

	opts     Options
	logger   *slog.Logger
	schema   *schema
	store    *store
	users    []*appUser
	tokens   *tokenIssuer
	ca       *certAuthority
	caFile   string
	listener net.Listener
	httpSrv  *http.Server
	scheme   string
	hostPort string
	orgID    string
	buID     string
	teamID   string

	throttle *throttle
	faults   *faultInjector
	reqLog   *requestLog
	persist  *persister
	costMu   sync.RWMutex
	cost     Cost

	clientCertMu      sync.Mutex
	clientCertificate *clientCertificate

	connsMu sync.Mutex
	conns   map[net.Conn]http.ConnState

	closeOnce sync.Once
	closeErr  error
	served    chan struct{}
}

// Start builds the emulator from opts and starts serving. It returns once the listener is open.
func Start(ctx context.Context, opts Options) (*Server, error) {
	s := &Server{opts: opts, logger: opts.Logger, served: make(chan struct{})}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tables, err := defaultTables()
	if err != nil {
		return nil, fmt.Errorf("default tables: %w", err)
	}
	for _, t := range tables {
		t.IsCustom = false
		for _, c := range t.Columns {
			c.IsCustom = false
		}
	}
	if opts.TablesFile != "" {
		tf, err := LoadTables(opts.TablesFile)
		if err != nil {
			return nil, tablesError{err}
		}
		if tables, err = mergeTables(tables, tf); err != nil {
			return nil, tablesError{fmt.Errorf("tables file: %w", err)}
		}
	}
	if opts.Tables != nil {
		if tables, err = mergeTables(tables, opts.Tables); err != nil {
			return nil, tablesError{fmt.Errorf("tables: %w", err)}
		}
	}
	if s.schema, err = buildSchema(tables); err != nil {
		return nil, tablesError{fmt.Errorf("tables: %w", err)} // the defaults build: the mistake is in what was added
	}
	s.store = newStore(s.schema)
	s.reqLog = newRequestLog(opts.RequestLogSize, opts.RequestLog)
	s.throttle = newThrottle(opts.Limits)
	s.faults = newFaultInjector(opts.Faults, opts.FaultSeed)
	s.cost = opts.Cost

	ident := identity{TenantID: opts.TenantID, ClientID: opts.ClientID, ClientSecret: opts.ClientSecret}
	if opts.DataDir != "" {
		if s.persist, err = openPersister(opts.DataDir); err != nil {
			return nil, err
		}
		if saved, ok, err := s.persist.loadIdentity(); err != nil {
			return nil, err
		} else if ok {
			ident = saved.mergeOverrides(ident)
		}
	}
	if err := s.setUpIdentity(&ident); err != nil {
		return nil, err
	}
	if s.persist != nil {
		if err := s.persist.saveIdentityData(ident); err != nil {
			return nil, err
		}
		if err := s.persist.load(s.store); err != nil {
			return nil, err
		}
		s.store.onCommit = func(changes []change) error {
			if err := s.persist.append(changes); err != nil {
				return err
			}
			if err := s.persist.maybeCompact(s.store); err != nil {
				s.logger.Warn("compact the data directory", "err", err) // the journal still has everything
			}
			return nil
		}
	}
	s.seedPrincipals()

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.hostPort = ln.Addr().String()
	if host, port, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			s.hostPort = net.JoinHostPort("127.0.0.1", port)
		}
	}
	s.scheme = "http"
	if opts.TLS {
		host, _, _ := net.SplitHostPort(addr)
		cert, err := s.ca.serverCertificate(host)
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		s.scheme = "https"
		if err := s.writeCAFile(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	s.listener = ln
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnState:         s.trackConn,
	}
	go func() {
		defer close(s.served)
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("serve", "err", err)
		}
	}()
	s.logger.Info("Dataverse emulator listening", "url", s.URL(), "tls", opts.TLS, "tables", len(s.schema.tables))
	return s, nil
}

// setUpIdentity fills in generated credentials, the CA and the signing key, and registers the application users.
func (s *Server) setUpIdentity(id *identity) error {
	if id.TenantID == "" {
		id.TenantID = newGUID()
	}
	if id.ClientID == "" {
		id.ClientID = newGUID()
	}
	if id.ClientSecret == "" {
		id.ClientSecret = randomSecret()
	}
	if id.OrgID == "" {
		id.OrgID = newGUID()
	}
	var err error
	if len(id.CACert) == 0 {
		if s.ca, err = newCertAuthority(); err != nil {
			return err
		}
		id.CACert, id.CAKey = s.ca.certPEM, s.ca.keyPEM
	} else if s.ca, err = loadCertAuthority(id.CACert, id.CAKey); err != nil {
		return err
	}
	s.tokens = &tokenIssuer{tenantID: id.TenantID}
	if len(id.SigningKey) == 0 {
		if s.tokens.key, id.SigningKey, err = newSigningKey(); err != nil {
			return err
		}
	} else if s.tokens.key, err = loadSigningKey(id.SigningKey); err != nil {
		return err
	}
	s.tokens.keyPEM = id.SigningKey
	if len(id.ClientCert) > 0 {
		if s.clientCertificate, err = loadClientCertificate(id.ClientCert); err != nil {
			return err
		}
	}
	s.TenantID, s.ClientID, s.ClientSecret = id.TenantID, id.ClientID, id.ClientSecret
	s.orgID = id.OrgID
	s.buID = stableID("businessunit", id.OrgID)
	s.teamID = stableID("team", id.OrgID)
	main := &appUser{AppUser: AppUser{Name: "# Sluice emulator", ClientID: id.ClientID, ClientSecret: id.ClientSecret}}
	s.users = []*appUser{main}
	for _, u := range s.opts.Users {
		if u.ClientID == "" {
			u.ClientID = newGUID()
		}
		if u.ClientSecret == "" {
			u.ClientSecret = randomSecret()
		}
		if u.Name == "" {
			u.Name = "# " + u.ClientID
		}
		s.users = append(s.users, &appUser{AppUser: u})
	}
	for _, u := range s.users {
		u.systemUserID = stableID("systemuser", id.OrgID, strings.ToLower(u.ClientID))
		u.objectID = stableID("serviceprincipal", id.TenantID, strings.ToLower(u.ClientID))
	}
	return nil
}

// seedPrincipals makes sure the application users' systemuser records and the default team exist.
func (s *Server) seedPrincipals() {
	now := time.Now().UTC()
	_ = s.store.write(func(tx *txn) error {
		su := tx.s.data("systemuser")
		for _, u := range s.users {
			if u.NotInEnvironment || su.records[u.systemUserID] != nil {
				continue
			}
			vals := map[string]any{"systemuserid": u.systemUserID, "fullname": u.Name, "domainname": strings.ToLower(u.ClientID) + "@sluice.emulator",
				"applicationid": strings.ToLower(u.ClientID), "isdisabled": false, "createdon": now, "modifiedon": now,
				"statecode": int64(0), "statuscode": int64(1)}
			_ = tx.put(su, &record{id: u.systemUserID, version: tx.nextVersion(), values: vals})
		}
		team := tx.s.data("team")
		if team.records[s.teamID] == nil {
			vals := map[string]any{"teamid": s.teamID, "name": "Sluice emulator", "createdon": now, "modifiedon": now, "statecode": int64(0), "statuscode": int64(1)}
			_ = tx.put(team, &record{id: s.teamID, version: tx.nextVersion(), values: vals})
		}
		return nil
	})
}

func (s *Server) writeCAFile() error {
	dir := s.opts.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "sluice-emulator-")
		if err != nil {
			return fmt.Errorf("create CA directory: %w", err)
		}
		dir = d
	}
	s.caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(s.caFile, s.ca.certPEM, 0o644); err != nil {
		return fmt.Errorf("write CA file: %w", err)
	}
	return nil
}

func (s *Server) trackConn(c net.Conn, st http.ConnState) {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	if s.conns == nil {
		s.conns = map[net.Conn]http.ConnState{}
	}
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	default:
		s.conns[c] = st
	}
}

// URL is the environment URL (scheme, host and port, without /api/data/...).
func (s *Server) URL() string { return s.scheme + "://" + s.hostPort }

// WebAPIURL is the Web API root, URL()+"/api/data/v9.2".
func (s *Server) WebAPIURL() string { return s.URL() + "/api/data/v9.2" }

// Authority is the token authority for MSAL: URL()+"/"+TenantID. MSAL accepts it only with TLS.
func (s *Server) Authority() string { return s.URL() + "/" + s.TenantID }

// CAPEM is the PEM of the CA that signed the server certificate (nil without TLS).
func (s *Server) CAPEM() []byte {
	if !s.opts.TLS {
		return nil
	}
	return s.ca.certPEM
}

// CAFile is the path of a file holding CAPEM ("" without TLS).
func (s *Server) CAFile() string { return s.caFile }

// HTTPClient returns an HTTP client that trusts the emulator's CA.
func (s *Server) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: s.ca.pool(), MinVersion: tls.VersionTLS12}
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}
}

// Token returns a bearer token for the main application user, valid for 12 hours.
func (s *Server) Token() string {
	t, err := s.TokenFor(s.ClientID, 12*time.Hour)
	if err != nil {
		panic(err) // the signing key is in memory; signing cannot fail
	}
	return t
}

// TokenFor returns a token for the application user with this client id.
func (s *Server) TokenFor(clientID string, lifetime time.Duration) (string, error) {
	u := s.userByClientID(clientID)
	if u == nil {
		return "", fmt.Errorf("no application user with client id %s", clientID)
	}
	tok, _, err := s.tokens.issue(u, s.URL(), lifetime)
	return tok, err
}

// Users returns the application users other than the main one (with their generated ids and secrets).
func (s *Server) Users() []AppUser {
	var out []AppUser
	for _, u := range s.users[1:] {
		out = append(out, u.AppUser)
	}
	return out
}

// SystemUserID is the systemuserid of the application user with this client id (WhoAmI's UserId).
func (s *Server) SystemUserID(clientID string) string {
	if u := s.userByClientID(clientID); u != nil {
		return u.systemUserID
	}
	return ""
}

// Close stops serving, waits for requests in flight (up to 5 seconds) and flushes persisted data.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// connections a client opened but never used would hold Shutdown for 5 s; they carry no request
		s.httpSrv.SetKeepAlivesEnabled(false)
		s.connsMu.Lock()
		for c, st := range s.conns {
			if st == http.StateNew || st == http.StateIdle {
				_ = c.Close()
			}
		}
		s.connsMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		if serr := s.httpSrv.Shutdown(ctx); serr != nil {
			s.logger.Warn("requests still running at close; dropping them", "err", serr)
			_ = s.httpSrv.Close()
		}
		<-s.served
		if s.persist != nil {
			s.store.mu.Lock()
			if perr := s.persist.compact(s.store); perr != nil && err == nil {
				err = perr
			}
			s.store.mu.Unlock()
			if cerr := s.persist.close(); cerr != nil && err == nil {
				err = cerr
			}
		}
		if s.opts.DataDir == "" && s.caFile != "" {
			_ = os.RemoveAll(filepath.Dir(s.caFile))
		}
		s.closeErr = err
	})
	return s.closeErr
}

func (s *Server) now() time.Time { return time.Now().UTC() }

// requestBase is scheme://host as the client addressed the server.
func (s *Server) requestBase(r *http.Request) string {
	host := r.Host
	if host == "" {
		host = s.hostPort
	}
	return s.scheme + "://" + host
}

// SetLimits changes the service protection limits; counters restart.
func (s *Server) SetLimits(l Limits) { s.throttle.setLimits(l) }

// SetCost changes the simulated cost.
func (s *Server) SetCost(c Cost) {
	s.costMu.Lock()
	s.cost = c
	s.costMu.Unlock()
}

func (s *Server) currentCost() Cost {
	s.costMu.RLock()
	defer s.costMu.RUnlock()
	return s.cost
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f []Fault) { s.faults.set(f) }
