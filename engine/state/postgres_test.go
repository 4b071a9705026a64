package state_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
)

var server *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &server)) }

func TestPostgresStore(t *testing.T) {
	url := server.CreateDatabase(t)
	open := map[string]state.Store{}
	storeSuite(t, func(t *testing.T, pipeline string) state.Store {
		// The suite reopens a pipeline to see what was saved; the advisory
		// lock allows one open store per pipeline, so close the last first.
		if s, ok := open[pipeline]; ok {
			s.Close()
		}
		s, err := state.OpenPostgres(context.Background(), url, pipeline)
		if err != nil {
			t.Fatal(err)
		}
		open[pipeline] = s
		return s
	})
}

func TestPostgresStoreIsHeldByOneRunAtATime(t *testing.T) {
	url := server.CreateDatabase(t)
	s, err := state.OpenPostgres(context.Background(), url, "p")
	must(t, err)
	defer s.Close()
	if _, err := state.OpenPostgres(context.Background(), url, "p"); err == nil || !strings.Contains(err.Error(), "in use by another run") {
		t.Errorf("second open: %v", err)
	}
	other, err := state.OpenPostgres(context.Background(), url, "q")
	must(t, err)
	other.Close()
}

func TestPostgresStoreErrorsHideThePassword(t *testing.T) {
	url := server.CreateDatabase(t)
	bad := strings.Replace(url, server.Password(), "wrong-password-value", 1)
	_, err := state.OpenPostgres(context.Background(), bad, "p")
	if err == nil || strings.Contains(err.Error(), "wrong-password-value") {
		t.Errorf("error %v", err)
	}
}
