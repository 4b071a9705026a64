package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/registry/registrytest"
	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk"
)

const (
	benchRows  = 1_000_000
	benchBatch = 10_000
)

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "email", Type: arrow.BinaryTypes.String},
	{Name: "first_name", Type: arrow.BinaryTypes.String},
	{Name: "last_name", Type: arrow.BinaryTypes.String},
	{Name: "ltv", Type: arrow.PrimitiveTypes.Float64},
	{Name: "active", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

// customers builds the synthetic input: rows of customers in batches.
func customers(rows, per int) []arrow.RecordBatch {
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, benchSchema)
	defer b.Release()
	var out []arrow.RecordBatch
	for start := 0; start < rows; start += per {
		for i := start; i < min(start+per, rows); i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("  Customer.%d@Example.COM ", i))
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("first%d", i%1000))
			b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("last%d", i%777))
			b.Field(4).(*array.Float64Builder).Append(float64(i%5000) / 3)
			b.Field(5).(*array.BooleanBuilder).Append(i%4 != 0)
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

// benchNodes is W1's transform chain: filter then map, from memory to
// memory.
const benchNodes = `
source "memory" "in" {
  table = "in"
}
transform "filter" "active" {
  input = source.in
  where = "active && ltv > 100"
}
transform "map" "normalize" {
  input   = transform.active
  columns = {
    email     = "lower(trim(email))"
    full_name = "first_name + ' ' + last_name"
  }
}
sink "memory" "out" {
  input = transform.normalize
  table = "out"
}
`

// BenchmarkTransformChain runs filter and map over 1M rows with the
// transforms compiled in and served from a plugin process. The
// out-of-process figure includes starting the process and the handshake.
func BenchmarkTransformChain(b *testing.B) {
	input := customers(benchRows, benchBatch)
	defer func() {
		for _, r := range input {
			r.Release()
		}
	}()
	bin, sum := registrytest.Build(b, b.TempDir(), "github.com/sluicedata/sluice/plugins/examples/transforms/cmd/sluice-plugin-transforms")
	for _, mode := range []struct {
		name    string
		src     string
		plugins []sdk.Plugin
	}{
		{"in-process", benchNodes, []sdk.Plugin{filter.Transform, mapper.Transform}},
		{"out-of-process", pluginBlock("transforms", bin, sum) + benchNodes, nil},
	} {
		b.Run(mode.name, func(b *testing.B) {
			store := memplugin.NewStore()
			defer store.Clear()
			store.Put("in", benchSchema, input...)
			eng, err := engine.New(engine.WithPlugins(append(store.Plugins(), mode.plugins...)...))
			if err != nil {
				b.Fatal(err)
			}
			p, err := eng.Parse(map[string][]byte{"bench.hcl": []byte(mode.src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				stats, err := p.Run(context.Background(), engine.RunOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if n, _ := stats.Node("source.in"); n.Out != benchRows {
					b.Fatalf("read %d rows", n.Out)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
