//go:build cgo

package duckdb

import "testing"

// The C API header in include/ must be the one of the library go-duckdb
// links: the source calls that library through it.
func TestLinkedLibraryMatchesHeader(t *testing.T) {
	if got := libraryVersion(); got != "v1.1.3" {
		t.Fatalf("go-duckdb links DuckDB %s, but include/duckdb.h is v1.1.3's: copy the new header (see include/README.md) and update this test", got)
	}
}

func TestSetupIsSensitive(t *testing.T) {
	if a := Source.Schema().Attribute("setup"); a == nil || !a.Sensitive {
		t.Errorf("setup is not sensitive; CREATE SECRET statements hold credentials")
	}
}
