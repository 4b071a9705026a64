package textconv

import (
	"math"
	"strconv"
	"unsafe"
)

// ParseInt64 parses a decimal integer with an optional sign.
func ParseInt64(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	i := 0
	switch b[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	if i == len(b) || len(b)-i > 19 {
		return slowParseInt(b)
	}
	var u uint64
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			return 0, false
		}
		u = u*10 + uint64(c)
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

func slowParseInt(b []byte) (int64, bool) {
	v, err := strconv.ParseInt(unsafeString(b), 10, 64)
	return v, err == nil
}

// ParseFloat parses a decimal floating-point number, including "NaN" and
// "Inf". Underscores and hexadecimal forms are not numbers in data files.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	// Fast path: [-]digits[.digits] with at most 15 significant digits is
	// exact as an integer divided by a power of ten.
	i, neg := 0, false
	if b[0] == '-' || b[0] == '+' {
		neg, i = b[0] == '-', 1
	}
	var mant uint64
	digits, frac := 0, -1
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return slowParseFloat(b)
		}
	}
	if digits == 0 || digits > 15 {
		return slowParseFloat(b)
	}
	f := float64(mant)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

func slowParseFloat(b []byte) (float64, bool) {
	for _, c := range b {
		if c == '_' || c == 'x' || c == 'X' {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(unsafeString(b), 64)
	if err != nil {
		// Out-of-range values are reported as ±Inf with an error; they are
		// not numbers a data file means.
		return 0, false
	}
	return v, true
}

// ParseBool parses true/false, t/f, yes/no, y/n and 1/0, in any case.
func ParseBool(b []byte) (value, ok bool) {
	switch len(b) {
	case 1:
		switch b[0] | 0x20 {
		case 't', 'y', '1' | 0x20:
			return true, true
		case 'f', 'n', '0' | 0x20:
			return false, true
		}
	case 2:
		if b[0]|0x20 == 'n' && b[1]|0x20 == 'o' {
			return false, true
		}
	case 3:
		if b[0]|0x20 == 'y' && b[1]|0x20 == 'e' && b[2]|0x20 == 's' {
			return true, true
		}
	case 4:
		if b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e' {
			return true, true
		}
	case 5:
		if b[0]|0x20 == 'f' && b[1]|0x20 == 'a' && b[2]|0x20 == 'l' && b[3]|0x20 == 's' && b[4]|0x20 == 'e' {
			return false, true
		}
	}
	return false, false
}

// IsBoolWord reports whether b is true or false in any case: the only words
// inference takes for booleans, since "1", "y" or "no" in a sample are more
// likely numbers or text.
func IsBoolWord(b []byte) bool {
	v, ok := ParseBool(b)
	return ok && len(b) == 4+boolToInt(!v)
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
