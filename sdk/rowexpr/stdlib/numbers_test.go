package stdlib

import (
	"math"
	"testing"
)

func TestRoundTo(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `roundTo(2.675, 2)`, want: 2.68},
		{expr: `roundTo(1.005, 2)`, want: 1.01},
		{expr: `roundTo(-1.005, 2)`, want: -1.01},
		{expr: `roundTo(2.5, 0)`, want: 3.0},
		{expr: `roundTo(-2.5, 0)`, want: -3.0},
		{expr: `roundTo(0.4, 0)`, want: 0.0},
		{expr: `roundTo(-0.4, 0)`, want: 0.0}, // not -0
		{expr: `roundTo(9.995, 2)`, want: 10.0},
		{expr: `roundTo(-99.96, 1)`, want: -100.0},
		{expr: `roundTo(0.125, 2)`, want: 0.13},
		{expr: `roundTo(1.23, 5)`, want: 1.23},
		{expr: `roundTo(123456789.987654321, 3)`, want: 123456789.988},
		{expr: `roundTo(1e-7, 3)`, want: 0.0},
		{expr: `roundTo(1.5e-7, 7)`, want: 2e-7},
		{expr: `roundTo(1e20, 2)`, want: 1e20},
		{expr: `roundTo(n, 2)`, env: map[string]any{"n": 7}, want: 7.0}, // an int column is accepted
		{expr: `roundTo(f, 1)`, env: map[string]any{"f": 0.05}, want: 0.1},
		{expr: `roundTo(f, 2)`, env: map[string]any{"f": nil}, err: "roundTo: x is null"},
		{expr: `roundTo(1.5, -1)`, err: "roundTo: places must be between 0 and 15, got -1"},
		{expr: `roundTo(1.5, 16)`, err: "roundTo: places must be between 0 and 15, got 16"},
	})
	compileFails(t, `roundTo("1.5", 1)`, `roundTo(1.5)`, `roundTo(1.5, 1.5)`)
	if got := roundTo(math.NaN(), 2); !math.IsNaN(got) {
		t.Errorf("roundTo(NaN) = %v", got)
	}
	if got := roundTo(math.Inf(-1), 2); !math.IsInf(got, -1) {
		t.Errorf("roundTo(-Inf) = %v", got)
	}
}

func TestParseInt(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `parseInt("42")`, want: 42},
		{expr: `parseInt(" -42\t")`, want: -42},
		{expr: `parseInt("+7")`, want: 7},
		{expr: `parseInt("007")`, want: 7},
		{expr: `parseInt("9223372036854775807")`, want: math.MaxInt64},
		{expr: `parseInt("9223372036854775808")`, err: `parseInt: "9223372036854775808" is out of range for a 64-bit integer`},
		{expr: `parseInt("")`, err: `parseInt: "" is not an integer`},
		{expr: `parseInt("1,000")`, err: `parseInt: "1,000" is not an integer`},
		{expr: `parseInt("1_000")`, err: `is not an integer`},
		{expr: `parseInt("0x10")`, err: `is not an integer`},
		{expr: `parseInt(s)`, env: map[string]any{"s": nil}, err: "parseInt: s is null"},
		{expr: `parseInt(s) + 1`, env: map[string]any{"s": "41"}, want: 42},
	})
	compileFails(t, `parseInt(42)`, `parseInt("1", 10)`)
}

func TestParseFloat(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `parseFloat("3.25")`, want: 3.25},
		{expr: `parseFloat(" -0.5 ")`, want: -0.5},
		{expr: `parseFloat("1e3")`, want: 1000.0},
		{expr: `parseFloat("42")`, want: 42.0},
		{expr: `parseFloat(".5")`, want: 0.5},
		{expr: `parseFloat("1,5", ",")`, want: 1.5},
		{expr: `parseFloat("1 234 567,5", ",")`, want: 1234567.5},
		{expr: `parseFloat("1\u00a0234,5", ",")`, want: 1234.5},
		{expr: `parseFloat("1'234.5", ".")`, want: 1234.5},
		{expr: `parseFloat("1,234,567.5", ".")`, want: 1234567.5},
		{expr: `parseFloat("-1.234,5", ",")`, want: -1234.5},
		{expr: `parseFloat("1,2,3", ",")`, err: `parseFloat: "1,2,3" is not a number`},
		{expr: `parseFloat("NaN")`, err: `parseFloat: "NaN" is not a number`},
		{expr: `parseFloat("inf")`, err: `parseFloat: "inf" is not a number`},
		{expr: `parseFloat("0x1p3")`, err: `is not a number`},
		{expr: `parseFloat("")`, err: `parseFloat: "" is not a number`},
		{expr: `parseFloat("12 EUR")`, err: `parseFloat: "12 EUR" is not a number`},
		{expr: `parseFloat("1e999")`, err: `parseFloat: "1e999" is out of range for a float`},
		{expr: `parseFloat("1,5", ";")`, err: `parseFloat: decimalSep must be "." or ",", got ";"`},
		{expr: `parseFloat(s)`, env: map[string]any{"s": nil}, err: "parseFloat: s is null"},
		{expr: `parseFloat("1", s)`, env: map[string]any{"s": nil}, err: "parseFloat: decimalSep is null"},
	})
	compileFails(t, `parseFloat(1.5)`, `parseFloat("1", 1)`)
}
