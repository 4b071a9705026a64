// Package builtin lists the plugins compiled into the sluice command, for
// programs that embed the engine and want the same set.
package builtin

import (
	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/dedupe"
	"github.com/sluicedata/sluice/plugins/duckdb"
	"github.com/sluicedata/sluice/plugins/dynamics"
	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/jsonl"
	"github.com/sluicedata/sluice/plugins/mapper"
	"github.com/sluicedata/sluice/plugins/parquet"
	"github.com/sluicedata/sluice/plugins/postgres"
	"github.com/sluicedata/sluice/plugins/selectcols"
	"github.com/sluicedata/sluice/plugins/stdout"
	"github.com/sluicedata/sluice/sdk"
)

// Plugins returns every builtin plugin.
func Plugins() []sdk.Plugin {
	return []sdk.Plugin{
		csv.Source, csv.Sink,
		jsonl.Source, jsonl.Sink,
		parquet.Source, parquet.Sink,
		postgres.Source,
		duckdb.Source,
		stdout.Sink,
		dynamics.Plugin,
		filter.Transform,
		mapper.Transform,
		selectcols.Transform,
		dedupe.Transform,
	}
}
