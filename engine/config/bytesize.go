package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// ParseByteSize reads a size written as a number of bytes or as a string with
// a unit: "512KiB", "8MiB", "1GiB", "64kB", "10MB".
func ParseByteSize(v cty.Value) (int64, error) {
	if v.IsNull() || !v.IsKnown() {
		return 0, fmt.Errorf("a size is required")
	}
	if v.Type() == cty.Number {
		n, acc := v.AsBigFloat().Int64()
		if acc != big.Exact || n < 1 {
			return 0, fmt.Errorf("a size in bytes must be a positive whole number")
		}
		return n, nil
	}
	if v.Type() != cty.String {
		return 0, fmt.Errorf("a size is a number of bytes or a string such as \"8MiB\"")
	}
	s := strings.TrimSpace(v.AsString())
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q: write a number and a unit, such as \"8MiB\" or \"500kB\"", v.AsString())
	}
	return int64(n * float64(mult)), nil
}
