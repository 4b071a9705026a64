package engine_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/builtin"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
)

// A Go service hands rows to a pipeline through the memory plugins and reads
// the result back: load, validate, run with a context, read the stats.
func Example() {
	ctx := context.Background()

	// Rows the service already has, as an Arrow batch.
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "email", Type: arrow.BinaryTypes.String},
		{Name: "ltv", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	b.Field(0).(*array.StringBuilder).AppendValues([]string{" Ada@Example.com", "bo@example.com", "cy@example.com "}, nil)
	b.Field(1).(*array.Float64Builder).AppendValues([]float64{1200, 40, 300}, nil)
	rec := b.NewRecordBatch()
	b.Release()

	store := memplugin.NewStore()
	defer store.Clear()
	store.Put("customers", schema, rec)
	rec.Release()

	eng, err := engine.New(engine.WithPlugins(append(builtin.Plugins(), store.Plugins()...)...))
	if err != nil {
		panic(err)
	}
	p, err := eng.Parse(map[string][]byte{"pipeline.hcl": []byte(`
source "memory" "customers" { table = "customers" }

transform "filter" "valuable" {
  input = source.customers
  where = "ltv > 100"
}

transform "map" "normalize" {
  input   = transform.valuable
  columns = { email = "normalizeEmail(email)" }
}

sink "memory" "out" {
  input = transform.normalize
  table = "valuable"
}
`)}, engine.Inputs{})
	if err != nil {
		panic(err)
	}
	if err := p.Validate(ctx, engine.ValidateOptions{}); err != nil {
		panic(err)
	}
	stats, err := p.Run(ctx, engine.RunOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(stats.Status)
	for _, n := range stats.Nodes {
		fmt.Printf("%-20s in %d out %d filtered %d\n", n.Address, n.In, n.Out, n.Filtered)
	}
	_, batches, _ := store.Batches("valuable")
	for _, b := range batches {
		fmt.Println(b.Column(0))
		b.Release()
	}
	// Output:
	// succeeded
	// source.customers     in 3 out 3 filtered 0
	// transform.valuable   in 3 out 2 filtered 1
	// transform.normalize  in 2 out 2 filtered 0
	// sink.out             in 2 out 2 filtered 0
	// ["ada@example.com" "cy@example.com"]
}
