package valfmt

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	check := func(f float64) {
		want, _ := json.Marshal(f)
		if got := string(AppendFloat(nil, f, 64)); got != string(want) {
			t.Fatalf("AppendFloat(%v) = %s; encoding/json writes %s", f, got, want)
		}
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		check(f)
	}
	for range 100000 {
		if f := math.Float64frombits(r.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
			check(f)
		}
		check(float64(r.Int64N(1e9)) / 100)
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "\n", "\x00", "\x1f", "é", "😀", "\u2028", "\u2029", "<", "&", "\xff", "\xe2\x80"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		got := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("AppendJSONString(%q) = %s, not JSON: %v", s, got, err)
		}
		if want := validPerByte(s); back != want {
			t.Fatalf("AppendJSONString(%q) reads back as %q", s, back)
		}
		if strings.ContainsAny(string(got), "\u2028\u2029") {
			t.Fatalf("AppendJSONString(%q) = %s keeps a line separator", s, got)
		}
	}
}

func TestPlainJSONText(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "hello world, all plain": true, "Zürich and 😀": true,
		"a\"b": false, "back\\slash": false, "tab\there": false, "sep\u2028": false, "bad \xff": false,
		strings.Repeat("x", 15) + "\n": false,
	} {
		if got := plainJSONText([]byte(s)); got != want {
			t.Errorf("plainJSONText(%q) = %v", s, got)
		}
	}
}

// validPerByte replaces each invalid byte with U+FFFD, as encoding/json does.
func validPerByte(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}
