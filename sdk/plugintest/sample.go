package plugintest

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SampleSchema is the schema of SampleBatches: an id, a nullable name, a
// nullable score and a flag.
var SampleSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "active", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

// SampleBatches returns three batches of SampleSchema (7, 0 and 13 rows),
// with nulls and duplicate names, for plugins that take any input.
func SampleBatches(mem memory.Allocator) []arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, SampleSchema)
	defer b.Release()
	var out []arrow.RecordBatch
	id := 0
	for _, n := range []int{7, 0, 13} {
		for range n {
			b.Field(0).(*array.Int64Builder).Append(int64(id))
			if id%5 == 4 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name %d", id%6))
			}
			if id%7 == 3 {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.Float64Builder).Append(float64(id) * 1.5)
			}
			b.Field(3).(*array.BooleanBuilder).Append(id%3 != 0)
			id++
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}
