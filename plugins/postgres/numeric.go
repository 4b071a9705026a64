package postgres

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// PostgreSQL's binary numeric: four int16 header fields — the number of
// base-10000 digits, the weight (power of 10000) of the first digit, the
// sign, the display scale — then the digits, most significant first.
// Trailing zero digits are not sent.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

type numericHeader struct {
	digits []byte // 2 bytes per base-10000 digit
	weight int
	sign   uint16
	dscale int
}

func parseNumeric(src []byte) (numericHeader, string) {
	if len(src) < 8 {
		return numericHeader{}, malformed
	}
	n := int(int16(binary.BigEndian.Uint16(src)))
	h := numericHeader{
		weight: int(int16(binary.BigEndian.Uint16(src[2:]))),
		sign:   binary.BigEndian.Uint16(src[4:]),
		dscale: int(int16(binary.BigEndian.Uint16(src[6:]))),
	}
	if n < 0 || len(src) != 8+2*n {
		return numericHeader{}, malformed
	}
	h.digits = src[8:]
	switch h.sign {
	case numericPos, numericNeg:
		return h, ""
	case numericNaN:
		return h, "numeric NaN has no decimal equivalent"
	case numericPInf:
		return h, "numeric Infinity has no decimal equivalent"
	case numericNInf:
		return h, "numeric -Infinity has no decimal equivalent"
	}
	return h, malformed
}

func (h numericHeader) digit(i int) uint64 {
	return uint64(binary.BigEndian.Uint16(h.digits[2*i:]))
}

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

// mulAdd returns x*m + a, and false if it overflows 128 bits.
func (x u128) mulAdd(m, a uint64) (u128, bool) {
	hiH, hiL := bits.Mul64(x.hi, m)
	loH, loL := bits.Mul64(x.lo, m)
	hi, carry := bits.Add64(hiL, loH, 0)
	if hiH != 0 || carry != 0 {
		return u128{}, false
	}
	lo, carry := bits.Add64(loL, a, 0)
	hi, carry = bits.Add64(hi, 0, carry)
	if carry != 0 {
		return u128{}, false
	}
	return u128{hi, lo}, true
}

func (x u128) less(y u128) bool { return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo) }

// pow10 holds 10^0 … 10^38 as u128.
var pow10 = func() (t [39]u128) {
	t[0] = u128{0, 1}
	for i := 1; i < len(t); i++ {
		t[i], _ = t[i-1].mulAdd(10, 0)
	}
	return t
}()

var pow10small = [5]uint64{1, 10, 100, 1000, 10000}

// numericToDecimal converts a binary numeric to a decimal128 with the given
// precision and scale, exactly, or says why it cannot.
func numericToDecimal(src []byte, precision, scale int32) (decimal128.Num, string) {
	h, msg := parseNumeric(src)
	if msg != "" {
		return decimal128.Num{}, msg
	}
	n := len(h.digits) / 2
	if n == 0 {
		return decimal128.Num{}, ""
	}
	// Accumulating the digits gives value × 10^exp.
	exp := 4 * (n - 1 - h.weight)
	drop := exp - int(scale) // decimal places beyond the scale, in the last digit
	if drop > 3 {
		return decimal128.Num{}, fmt.Sprintf("value has more than %d decimal places", scale)
	}
	var acc u128
	ok := true
	for i := 0; i < n && ok; i++ {
		d, m := h.digit(i), uint64(10000)
		if i == n-1 && drop > 0 {
			p := pow10small[drop]
			if d%p != 0 {
				return decimal128.Num{}, fmt.Sprintf("value has more than %d decimal places", scale)
			}
			d, m = d/p, pow10small[4-drop]
		}
		acc, ok = acc.mulAdd(m, d)
	}
	for up := -drop; up > 0 && ok; up -= 19 {
		acc, ok = acc.mulAdd(pow10[min(up, 19)].lo, 0)
	}
	if !ok || !acc.less(pow10[precision]) {
		return decimal128.Num{}, fmt.Sprintf("value has more than %d digits, the precision of numeric(%d,%d)", precision, precision, scale)
	}
	v := decimal128.New(int64(acc.hi), acc.lo)
	if h.sign == numericNeg {
		v = v.Negate()
	}
	return v, ""
}

// numericText formats a binary numeric as PostgreSQL's text output does,
// with its display scale: for checkpoints, which the server parses back.
func numericText(src []byte) (string, bool) {
	h, msg := parseNumeric(src)
	switch {
	case msg == malformed:
		return "", false
	case h.sign == numericNaN:
		return "NaN", true
	case h.sign == numericPInf:
		return "Infinity", true
	case h.sign == numericNInf:
		return "-Infinity", true
	}
	n := len(h.digits) / 2
	var b strings.Builder
	if h.sign == numericNeg && n > 0 {
		b.WriteByte('-')
	}
	// Integer part: digit groups of weight ≥ 0.
	if h.weight < 0 || n == 0 {
		b.WriteByte('0')
	} else {
		for i := 0; i <= h.weight; i++ {
			var d uint64
			if i < n {
				d = h.digit(i)
			}
			s := strconv.FormatUint(d, 10)
			if i > 0 {
				b.WriteString("0000"[len(s):])
			}
			b.WriteString(s)
		}
	}
	if h.dscale > 0 {
		b.WriteByte('.')
		var frac strings.Builder
		for i := h.weight + 1; frac.Len() < h.dscale; i++ {
			var d uint64
			if i >= 0 && i < n {
				d = h.digit(i)
			}
			s := strconv.FormatUint(d, 10)
			frac.WriteString("0000"[len(s):])
			frac.WriteString(s)
		}
		b.WriteString(frac.String()[:h.dscale])
	}
	return b.String(), true
}
