//go:build !cgo

package duckdb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/duckdb"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// Without cgo the plugin still checks its configuration, and says at Open
// why it cannot run.
func TestWithoutCgoOpenSaysWhy(t *testing.T) {
	src := testhost.MustBuild[sdk.Source](t, duckdb.Source, `query = "SELECT 1"`)
	_, err := src.Open(context.Background(), testhost.New(t))
	if err == nil || !strings.Contains(err.Error(), "built without cgo") {
		t.Errorf("Open: %v", err)
	}
	if _, err := testhost.Build(t, duckdb.Source, `query = ""`); err == nil {
		t.Errorf("an empty query was accepted")
	}
}
