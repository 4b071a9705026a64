package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluicedata/sluice/sdk"
)

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// checkConnection reports mistakes in the connection attributes.
func (c *SourceConfig) checkConnection() sdk.Diagnostics {
	var diags sdk.Diagnostics
	if c.URL != "" {
		for _, a := range []struct {
			name string
			set  bool
		}{{"host", c.Host != ""}, {"port", c.Port != 0}, {"database", c.Database != ""}, {"user", c.User != ""}} {
			if a.set {
				diags = append(diags, sdk.Errorf(sdk.Path{a.name}, "url already says where to connect; set either url or host, port, database and user")...)
			}
		}
	}
	if c.Port < 0 || c.Port > 65535 {
		diags = append(diags, sdk.Errorf(sdk.Path{"port"}, "must be between 1 and 65535, got %d", c.Port)...)
	}
	if c.SSLMode != "" && !slices.Contains(sslModes, c.SSLMode) {
		diags = append(diags, sdk.Errorf(sdk.Path{"sslmode"}, "unknown mode %q: use %s", c.SSLMode, strings.Join(sslModes, ", "))...)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		path := sdk.Path{"key_file"}
		if c.CertFile == "" {
			path = sdk.Path{"cert_file"}
		}
		diags = append(diags, sdk.Errorf(path, "a client certificate needs both cert_file and key_file")...)
	}
	if c.ConnectTimeout < 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"connect_timeout"}, "must not be negative")...)
	}
	return diags
}

// connConfig turns the connection attributes into pgx's configuration.
// pgx parses the libpq settings, TLS modes and environment variables
// exactly as libpq does; the attributes are laid over the URL, so a URL
// from a secret store can be combined with TLS files from the pipeline.
func (c *SourceConfig) connConfig() (*pgx.ConnConfig, error) {
	settings := map[string]string{}
	if c.Host != "" {
		settings["host"] = c.Host
	}
	if c.Port != 0 {
		settings["port"] = strconv.Itoa(c.Port)
	}
	if c.Database != "" {
		settings["dbname"] = c.Database
	}
	if c.User != "" {
		settings["user"] = c.User
	}
	if c.SSLMode != "" {
		settings["sslmode"] = c.SSLMode
	}
	if c.CAFile != "" {
		settings["sslrootcert"] = c.CAFile
	}
	if c.CertFile != "" {
		settings["sslcert"] = c.CertFile
		settings["sslkey"] = c.KeyFile
	}
	if c.ConnectTimeout > 0 {
		// libpq's connect_timeout is in whole seconds.
		settings["connect_timeout"] = strconv.Itoa(max(1, int(c.ConnectTimeout.Seconds())))
	}
	if c.Password != "" {
		settings["password"] = c.Password
	}
	connString, err := overlay(c.URL, settings)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, errors.New(c.scrub(err.Error()))
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "sluice"
	}
	return cfg, nil
}

// overlay adds settings to a connection URL or keyword/value string.
func overlay(base string, settings map[string]string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			// url.Parse quotes its input in the error: say less.
			return "", errors.New("url is not a valid connection URL")
		}
		q := u.Query()
		for k, v := range settings {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	var b strings.Builder
	b.WriteString(base)
	for _, k := range slices.Sorted(mapKeys(settings)) {
		fmt.Fprintf(&b, " %s='%s'", k, strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(settings[k]))
	}
	return b.String(), nil
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// connect opens the connection, with errors that say where it tried to
// connect and never what the password is.
func (s *source) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := s.cfg.connConfig()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("postgres: connecting to %s: %s", describeTarget(cfg), s.cfg.scrub(err.Error()))
	}
	return conn, nil
}

// describeTarget names the server, database and user of a configuration.
func describeTarget(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s port %d, database %q as user %q (sslmode %s)", cfg.Host, cfg.Port, cfg.Database, cfg.User, sslModeOf(cfg.Config))
}

func sslModeOf(cfg pgconn.Config) string {
	switch {
	case cfg.TLSConfig == nil:
		return "disable"
	case len(cfg.Fallbacks) > 0 && cfg.Fallbacks[0].TLSConfig == nil:
		return "prefer"
	case cfg.TLSConfig.InsecureSkipVerify:
		return "require"
	}
	return "verify"
}

// scrub removes the password, and the URL that may hold one, from text
// that is about to become an error message.
func (c *SourceConfig) scrub(text string) string {
	secrets := []string{c.URL, c.Password}
	if u, err := url.Parse(c.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	for _, s := range secrets {
		if len(s) >= 3 {
			text = strings.ReplaceAll(text, s, "********")
		}
	}
	return text
}
