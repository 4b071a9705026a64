package emulator

import (
	"io"
	"log/slog"
	"time"
)

// Options configure an emulator. The zero value serves the default tables over plain HTTP on a random loopback
// port, in memory, with the real service's protection limits, no simulated cost and no faults.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0" (a free port).
	Addr string
	// TLS serves HTTPS with a certificate from a CA the emulator generates (needed for MSAL, which requires an
	// https authority). The CA is in Server.CAPEM and, for the command or with DataDir, in Server.CAFile.
	TLS bool
	// TablesFile is a tables file (HCL) adding alternate keys, columns and custom tables to the defaults.
	TablesFile string
	// Tables are already parsed definitions (ParseTables), applied after TablesFile.
	Tables *Tables
	// DataDir keeps records, credentials, the signing key and the CA across restarts. Empty: in memory only.
	DataDir string
	// Limits are the service protection limits (per application user).
	Limits Limits
	// Cost is the simulated server time of each request.
	Cost Cost
	// Faults are injected failures, checked in order for every Web API request.
	Faults []Fault
	// FaultSeed seeds the random choice of rate-based faults (0: a fixed default, so runs repeat).
	FaultSeed int64
	// TenantID, ClientID and ClientSecret of the main application user; generated when empty (or read from
	// DataDir).
	TenantID     string
	ClientID     string
	ClientSecret string
	// Users are further application users, for example one lacking privileges on a table.
	Users []AppUser
	// RequestLog, when set, receives one JSON line per Web API request (and per request inside a $batch).
	RequestLog io.Writer
	// RequestLogSize bounds the in-memory request log (default 100,000 entries; older entries are dropped).
	RequestLogSize int
	// Logger receives the emulator's own messages (default: discard).
	Logger *slog.Logger
	// TokenLifetime is the lifetime of tokens from the token endpoint (default 1 hour, like Entra).
	TokenLifetime time.Duration
}

// Limits are Dataverse's service protection limits, applied per application user over a sliding window.
// Zero fields take the real service's defaults: 6,000 requests and 1,200 s of combined execution time per 300 s,
// and 52 concurrent requests.
type Limits struct {
	Requests      int
	Window        time.Duration
	ExecutionTime time.Duration
	Concurrent    int
	// DOPHint is the x-ms-dop-hint header (recommended degree of parallelism); default 4, never above Concurrent.
	DOPHint int
	// Disabled turns service protection off.
	Disabled bool
}

func (l Limits) withDefaults() Limits {
	if l.Requests <= 0 {
		l.Requests = 6000
	}
	if l.Window <= 0 {
		l.Window = 300 * time.Second
	}
	if l.ExecutionTime <= 0 {
		l.ExecutionTime = 1200 * time.Second
	}
	if l.Concurrent <= 0 {
		l.Concurrent = 52
	}
	if l.DOPHint <= 0 {
		l.DOPHint = 4
	}
	if l.DOPHint > l.Concurrent {
		l.DOPHint = l.Concurrent
	}
	return l
}

// Cost is simulated server time: every request costs PerRequest plus PerRecord for each record it reads or
// writes. The time is spent (the response waits) and counts toward the execution-time limit, so bulk loads meet
// the same budget they meet on the real service.
type Cost struct {
	PerRequest time.Duration
	PerRecord  time.Duration
}

// Privilege is a table privilege an application user can lack.
type Privilege string

// Table privileges.
const (
	PrivilegeCreate Privilege = "Create"
	PrivilegeRead   Privilege = "Read"
	PrivilegeWrite  Privilege = "Write"
	PrivilegeDelete Privilege = "Delete"
)

// AppUser is an application user: an app registration (client id and secret) with an application user in the
// environment.
type AppUser struct {
	Name         string
	ClientID     string
	ClientSecret string
	// Deny lists privileges the user lacks: table logical name → privileges (empty list: all four).
	Deny map[string][]Privilege
	// NotInEnvironment makes the app registration valid for tokens but without an application user in the
	// environment, so every Web API call answers 403.
	NotInEnvironment bool
	// SecretExpired makes the token endpoint refuse the client secret as expired (AADSTS7000222), as Entra does
	// once a secret's end date has passed.
	SecretExpired bool
}

func (u *AppUser) denied(table string, p Privilege) bool {
	privs, ok := u.Deny[table]
	if !ok {
		return false
	}
	if len(privs) == 0 {
		return true
	}
	for _, x := range privs {
		if x == p {
			return true
		}
	}
	return false
}
