package httpjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/sdk"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// build turns records into a batch. A value that does not fit its column
// is stored as null and its row rejected.
func (s *source) build(items []map[string]any) (arrow.RecordBatch, []sdk.RowError) {
	b := array.NewRecordBuilder(s.mem, s.schema)
	defer b.Release()
	var rejects []sdk.RowError
	for row, item := range items {
		var bad []string
		for i, f := range s.schema.Fields() {
			if err := appendValue(b.Field(i), item[f.Name]); err != nil {
				b.Field(i).AppendNull()
				bad = append(bad, fmt.Sprintf("%s: %v", f.Name, err))
			}
		}
		if len(bad) > 0 {
			rejects = append(rejects, sdk.RowError{Row: row, Code: "httpjson.value", Message: fmt.Sprint(bad)})
		}
	}
	return b.NewRecordBatch(), rejects
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.StringBuilder:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("expected a string, got %v", v)
		}
		b.Append(s)
	case *array.Int64Builder:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("expected an integer, got %v", v)
		}
		i, err := n.Int64()
		if err != nil {
			return fmt.Errorf("expected an integer, got %s", n)
		}
		b.Append(i)
	case *array.Float64Builder:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("expected a number, got %v", v)
		}
		f, err := n.Float64()
		if err != nil {
			return fmt.Errorf("expected a number, got %s", n)
		}
		b.Append(f)
	case *array.BooleanBuilder:
		t, ok := v.(bool)
		if !ok {
			return fmt.Errorf("expected true or false, got %v", v)
		}
		b.Append(t)
	default:
		return fmt.Errorf("unsupported column type %s", b.Type())
	}
	return nil
}
