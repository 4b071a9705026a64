package colbuild

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/internal/coltype"
)

func TestBuildEveryType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := []struct {
		typ  string
		in   []string // "" is AppendEmpty, "<null>" AppendNull
		want string
	}{
		{"string", []string{"a", "", "<null>", "héllo"}, `["a" "" (null) "héllo"]`},
		{"int64", []string{"1", "", "-7", "x"}, `[1 (null) -7 (null)]`},
		{"int32", []string{"2147483647", "2147483648"}, `[2147483647 (null)]`},
		{"float64", []string{"1.5", "<null>", "2"}, `[1.5 (null) 2]`},
		{"bool", []string{"true", "F", ""}, `[true false (null)]`},
		{"date", []string{"2024-01-02", "2024-13-01"}, `[2024-01-02 (null)]`},
		{"timestamp", []string{"1970-01-01T00:00:01Z"}, `[1000000]`},
		{"decimal(5,2)", []string{"123.45", "1234.5", "1.5"}, `[123.45 (null) 1.5]`},
	}
	for _, c := range cases {
		dt, err := coltype.Parse(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		col := New(dt)
		for round := range 2 { // a second batch reuses the accumulator
			for _, v := range c.in {
				switch v {
				case "":
					col.AppendEmpty()
				case "<null>":
					col.AppendNull()
				default:
					col.Append([]byte(v))
				}
			}
			if col.Len() != len(c.in) {
				t.Fatalf("%s: Len = %d", c.typ, col.Len())
			}
			arr := col.Build(mem)
			if got := arr.String(); got != c.want {
				t.Errorf("%s round %d: got %s; want %s", c.typ, round, got, c.want)
			}
			if !arrow.TypeEqual(arr.DataType(), dt) {
				t.Errorf("%s: type %v", c.typ, arr.DataType())
			}
			arr.Release()
		}
	}
}
