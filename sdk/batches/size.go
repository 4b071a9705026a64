package batches

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Size estimates the memory that the rows of rec take, counting only the rows
// in view when rec is a slice of a larger batch. It is what batch size limits
// in bytes are measured with.
func Size(rec arrow.RecordBatch) int64 {
	var total int64
	for _, col := range rec.Columns() {
		total += arraySize(col)
	}
	return total
}

func arraySize(a arrow.Array) int64 {
	n := int64(a.Len())
	switch arr := a.(type) {
	case *array.String:
		return spanOf(arr.ValueOffsets()) + 4*n
	case *array.Binary:
		return spanOf(arr.ValueOffsets()) + 4*n
	case *array.LargeString:
		return spanOf(arr.ValueOffsets()) + 8*n
	case *array.Struct:
		var total int64
		for i := range arr.NumField() {
			total += arraySize(arr.Field(i))
		}
		return total
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok {
		return n * int64(max(fw.BitWidth()/8, 1))
	}
	// Other types: count whole buffers, which overestimates slices but never
	// underestimates.
	var total int64
	for _, b := range a.Data().Buffers() {
		if b != nil {
			total += int64(b.Len())
		}
	}
	return total
}

// spanOf is the number of value bytes a window of offsets covers.
func spanOf[T int32 | int64](offsets []T) int64 {
	if len(offsets) == 0 {
		return 0
	}
	return int64(offsets[len(offsets)-1] - offsets[0])
}
