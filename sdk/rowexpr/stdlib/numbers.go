package stdlib

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxRoundPlaces is the most decimal places roundTo accepts: float64 holds
// 15 to 17 significant digits, so more places would only round noise.
const maxRoundPlaces = 15

func numberFunctions() []Function {
	return []Function{
		// expr builtins.
		{
			Name: "abs", Category: catNumbers, Builtin: true,
			Signature: "abs(x int|float) int|float",
			Doc:       "The absolute value of x, of the same type. Fails on null.",
			Examples:  []Example{{`abs(-3.5)`, `3.5`}},
		},
		{
			Name: "ceil", Category: catNumbers, Builtin: true,
			Signature: "ceil(x int|float) float",
			Doc:       "The least whole number greater than or equal to x, as a float. Fails on null.",
			Examples:  []Example{{`ceil(1.2)`, `2.0`}},
		},
		{
			Name: "floor", Category: catNumbers, Builtin: true,
			Signature: "floor(x int|float) float",
			Doc:       "The greatest whole number less than or equal to x, as a float. Fails on null.",
			Examples:  []Example{{`floor(-1.5)`, `-2.0`}},
		},
		{
			Name: "round", Category: catNumbers, Builtin: true,
			Signature: "round(x int|float) float",
			Doc:       "x rounded to the nearest whole number, halves away from zero, as a float; int(round(x)) gives an int. Use roundTo for decimal places. Fails on null.",
			Examples: []Example{
				{`round(2.5)`, `3.0`},
				{`int(round(-2.5))`, `-3`},
			},
		},
		{
			Name: "max", Category: catNumbers, Builtin: true,
			Signature: "max(values ...int|float|list) int|float",
			Doc:       "The largest of the numbers given, or in the lists given.",
			Examples: []Example{
				{`max(3, 7, 5)`, `7`},
				{`max([1.5, 0.5])`, `1.5`},
			},
		},
		{
			Name: "min", Category: catNumbers, Builtin: true,
			Signature: "min(values ...int|float|list) int|float",
			Doc:       "The smallest of the numbers given, or in the lists given.",
			Examples:  []Example{{`min(3, 7, 5)`, `3`}},
		},
		{
			Name: "mean", Category: catNumbers, Builtin: true,
			Signature: "mean(values ...int|float|list) float",
			Doc:       "The arithmetic mean of the numbers given, or in the lists given; 0.0 for an empty list.",
			Examples:  []Example{{`mean([1, 2, 3, 4])`, `2.5`}},
		},
		{
			Name: "median", Category: catNumbers, Builtin: true,
			Signature: "median(values ...int|float|list) float",
			Doc:       "The median of the numbers given, or in the lists given; 0.0 for an empty list.",
			Examples:  []Example{{`median([3, 1, 2])`, `2.0`}},
		},

		// Sluice functions.
		{
			Name: "roundTo", Category: catNumbers,
			Signature: "roundTo(x float, places int) float",
			Doc: "x rounded to places decimal places (0 to 15), halves away from zero, on the decimal digits x prints as, so 2.675 becomes 2.68 and 1.005 becomes 1.01 " +
				"(naive binary rounding gives 2.67 and 1.0). Fails on null.",
			Examples: []Example{
				{`roundTo(2.675, 2)`, `2.68`},
				{`roundTo(-1.005, 2)`, `-1.01`},
				{`roundTo(19.999, 2)`, `20.0`},
				{`roundTo(7, 2)`, `7.0`},
			},
			Fn:    roundToFn,
			Types: []any{new(func(float64, int) float64)},
		},
		{
			Name: "parseInt", Category: catNumbers,
			Signature: "parseInt(s string) int",
			Doc:       "Parses a base-10 integer with an optional sign, ignoring surrounding white space. Fails on null, on anything else (\"12.0\", \"1,000\", \"\") and on values beyond 64 bits.",
			Examples: []Example{
				{`parseInt(" -42 ")`, `-42`},
				{`parseInt("12.5")`, `error: parseInt: "12.5" is not an integer`},
			},
			Fn:    parseIntFn,
			Types: []any{new(func(string) int)},
		},
		{
			Name: "parseFloat", Category: catNumbers,
			Signature: "parseFloat(s string[, decimalSep string]) float",
			Doc: "Parses a decimal number (digits, sign, point, exponent), ignoring surrounding white space; NaN and infinities are rejected. With decimalSep \",\" or \".\", " +
				"that character is the decimal separator and the other one, spaces, apostrophes and underscores are digit-group separators (\"1.234,5\", \"1'234.5\").",
			Examples: []Example{
				{`parseFloat("3.25")`, `3.25`},
				{`parseFloat("1.234.567,89", ",")`, `1234567.89`},
				{`parseFloat("1,234.5", ".")`, `1234.5`},
				{`parseFloat("12,5")`, `error: parseFloat: "12,5" is not a number (for a decimal comma write parseFloat(s, ","))`},
			},
			Fn: parseFloatFn,
			Types: []any{
				new(func(string) float64),
				new(func(string, string) float64),
			},
		},
	}
}

func roundToFn(args ...any) (any, error) {
	const fn = "roundTo"
	if err := checkArity(fn, args, 2, 2); err != nil {
		return nil, err
	}
	x, err := argFloat(fn, "x", args[0])
	if err != nil {
		return nil, err
	}
	places, err := argInt(fn, "places", args[1])
	if err != nil {
		return nil, err
	}
	if places < 0 || places > maxRoundPlaces {
		return nil, errorf(fn, "places must be between 0 and %d, got %d", maxRoundPlaces, places)
	}
	r := roundTo(x, places)
	if _, isFloat := args[0].(float64); isFloat && r == x {
		return args[0], nil // unchanged: no allocation
	}
	return r, nil
}

// roundTo rounds x half away from zero on its shortest decimal representation
// (the digits strconv and fmt print for it), not on its exact binary value.
func roundTo(x float64, places int) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	var buf [48]byte
	b := strconv.AppendFloat(buf[:0], x, 'f', -1, 64)
	dot := bytes.IndexByte(b, '.')
	if dot < 0 || len(b)-dot-1 <= places {
		return x // already has at most `places` decimals
	}
	cut := dot + 1 + places // first dropped digit
	up := b[cut] >= '5'
	if places == 0 {
		b = b[:dot]
	} else {
		b = b[:cut]
	}
	if up {
		i := len(b) - 1
		for ; i >= 0; i-- {
			if b[i] == '.' {
				continue
			}
			if b[i] == '-' {
				i = -1
				break
			}
			if b[i] != '9' {
				b[i]++
				break
			}
			b[i] = '0'
		}
		if i < 0 { // carried out of the leading digit: 9.99 -> 10.00
			at := 0
			if b[0] == '-' {
				at = 1
			}
			b = append(b[:at], append([]byte{'1'}, b[at:]...)...)
		}
	}
	r, _ := strconv.ParseFloat(string(b), 64)
	if r == 0 {
		return 0 // not -0
	}
	return r
}

func parseIntFn(args ...any) (any, error) {
	const fn = "parseInt"
	if err := checkArity(fn, args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return nil, errorf(fn, "%s is out of range for a 64-bit integer", quote(s))
		}
		return nil, errorf(fn, "%s is not an integer", quote(s))
	}
	return int(n), nil
}

func parseFloatFn(args ...any) (any, error) {
	const fn = "parseFloat"
	if err := checkArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	t := strings.TrimSpace(s)
	var buf [64]byte
	if len(args) == 2 {
		sep, err := argString(fn, "decimalSep", args[1])
		if err != nil {
			return nil, err
		}
		if sep != "." && sep != "," {
			return nil, errorf(fn, "decimalSep must be \".\" or \",\", got %s", quote(sep))
		}
		b := buf[:0]
		for _, r := range t {
			switch {
			case r == rune(sep[0]):
				b = append(b, '.')
			case r == '.' || r == ',' || r == ' ' || r == '\'' || r == '_' || r == '\u00a0' || r == '\u202f':
				// digit-group separator
			default:
				b = utf8.AppendRune(b, r)
			}
		}
		t = string(b)
	}
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case '0' <= c && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		case c == ',' && len(args) == 1:
			return nil, errorf(fn, "%s is not a number (for a decimal comma write parseFloat(s, \",\"))", quote(s))
		default:
			return nil, errorf(fn, "%s is not a number", quote(s))
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return nil, errorf(fn, "%s is out of range for a float", quote(s))
		}
		return nil, errorf(fn, "%s is not a number", quote(s))
	}
	return f, nil
}
