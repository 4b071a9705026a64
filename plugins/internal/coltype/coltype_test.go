package coltype

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestParseNames(t *testing.T) {
	for name, want := range map[string]arrow.DataType{
		"string": arrow.BinaryTypes.String, "TEXT": arrow.BinaryTypes.String, "int64": arrow.PrimitiveTypes.Int64,
		"integer": arrow.PrimitiveTypes.Int64, "int32": arrow.PrimitiveTypes.Int32, "double": arrow.PrimitiveTypes.Float64,
		"bool": arrow.FixedWidthTypes.Boolean, " timestamp ": Timestamp, "date": arrow.FixedWidthTypes.Date32,
		"decimal(12, 2)": &arrow.Decimal128Type{Precision: 12, Scale: 2},
	} {
		got, err := Parse(name)
		if err != nil || !arrow.TypeEqual(got, want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", name, got, err, want)
		}
		if back, err := Parse(Name(got)); err != nil || !arrow.TypeEqual(back, got) {
			t.Errorf("Parse(Name(%v)) = %v, %v", got, back, err)
		}
	}
	for _, name := range []string{"", "int128", "decimal(0,0)", "decimal(10,11)", "decimal(10)", "varchar(10)"} {
		if _, err := Parse(name); err == nil {
			t.Errorf("Parse(%q) succeeded", name)
		}
	}
}

func TestInference(t *testing.T) {
	cases := []struct {
		values []string
		want   arrow.DataType
	}{
		{nil, arrow.BinaryTypes.String},
		{[]string{"1", "-2", "300"}, arrow.PrimitiveTypes.Int64},
		{[]string{"1", "2.5"}, arrow.PrimitiveTypes.Float64},
		{[]string{"1e3", "2"}, arrow.PrimitiveTypes.Float64},
		{[]string{"9223372036854775808"}, arrow.PrimitiveTypes.Float64},
		{[]string{"true", "FALSE", "True"}, arrow.FixedWidthTypes.Boolean},
		{[]string{"1", "0"}, arrow.PrimitiveTypes.Int64},
		{[]string{"yes", "no"}, arrow.BinaryTypes.String},
		{[]string{"2024-01-01", "2024-02-29"}, arrow.FixedWidthTypes.Date32},
		{[]string{"2024-01-01", "2024-02-29T10:00:00Z"}, Timestamp},
		{[]string{"2024-01-01T10:00:00+02:00"}, Timestamp},
		{[]string{"2024-01-01T10:00:00"}, arrow.BinaryTypes.String},
		{[]string{"NaN", "Inf"}, arrow.BinaryTypes.String},
		{[]string{"1", "x"}, arrow.BinaryTypes.String},
		{[]string{"007", "12"}, arrow.PrimitiveTypes.Int64},
	}
	for _, c := range cases {
		var in Inferrer
		for _, v := range c.values {
			in.Observe([]byte(v))
		}
		if got := in.Type(); !arrow.TypeEqual(got, c.want) {
			t.Errorf("infer %q = %v; want %v", c.values, got, c.want)
		}
	}
}
