// Package emulatortest starts a Dataverse emulator for a test and stops it when the test ends.
package emulatortest

import (
	"context"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

// Option changes the emulator's options before it starts.
type Option func(*emulator.Options)

// Start starts an emulator on a free loopback port with TLS (so MSAL can use it) and registers its Close with
// t.Cleanup. Options adjust the defaults.
func Start(t testing.TB, opts ...Option) *emulator.Server {
	t.Helper()
	o := emulator.Options{TLS: true}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := emulator.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start Dataverse emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("stop Dataverse emulator: %v", err)
		}
	})
	return srv
}

// WithOptions replaces the options wholesale (TLS included).
func WithOptions(o emulator.Options) Option { return func(dst *emulator.Options) { *dst = o } }

// WithoutTLS serves plain HTTP.
func WithoutTLS() Option { return func(o *emulator.Options) { o.TLS = false } }

// WithTablesFile adds a tables file.
func WithTablesFile(path string) Option { return func(o *emulator.Options) { o.TablesFile = path } }

// WithTables adds parsed table definitions.
func WithTables(t *emulator.Tables) Option { return func(o *emulator.Options) { o.Tables = t } }

// WithLimits sets the service protection limits.
func WithLimits(l emulator.Limits) Option { return func(o *emulator.Options) { o.Limits = l } }

// WithCost sets the simulated server cost.
func WithCost(c emulator.Cost) Option { return func(o *emulator.Options) { o.Cost = c } }

// WithFaults sets injected faults.
func WithFaults(f ...emulator.Fault) Option { return func(o *emulator.Options) { o.Faults = f } }

// WithDataDir persists state in dir.
func WithDataDir(dir string) Option { return func(o *emulator.Options) { o.DataDir = dir } }

// WithUsers adds application users (for example one denied a privilege, for 403 tests).
func WithUsers(u ...emulator.AppUser) Option {
	return func(o *emulator.Options) { o.Users = append(o.Users, u...) }
}
