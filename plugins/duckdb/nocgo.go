//go:build !cgo

package duckdb

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// Without cgo there is no DuckDB: the plugin is still listed and its
// configuration checked, but opening it says why it cannot run.
type unavailable struct{}

func newSource(cfg SourceConfig) (sdk.Source, error) {
	if _, err := checkConfig(cfg); err != nil {
		return nil, err
	}
	return unavailable{}, nil
}

var errNoCgo = errors.New("duckdb: this sluice was built without cgo (CGO_ENABLED=0), and DuckDB is a C++ library: build it with CGO_ENABLED=1 and a C++ compiler")

func (unavailable) Open(context.Context, sdk.Host) (*arrow.Schema, error) { return nil, errNoCgo }
func (unavailable) Read(context.Context, sdk.Checkpoint, sdk.Emitter) error {
	return errNoCgo
}
func (unavailable) Close(context.Context) error { return nil }
