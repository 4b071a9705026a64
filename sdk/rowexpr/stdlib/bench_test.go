package stdlib

import (
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// These benchmarks call each function's Fn the way expr's VM does (one
// []any of arguments per call) on typical values, both for input that needs
// work and for input that is already clean, which must not allocate.
//
//	go test ./sdk/rowexpr/stdlib -run '^$' -bench . -benchmem

var sink any

func bench(b *testing.B, fn func(...any) (any, error), args ...any) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		v, err := fn(args...)
		if err != nil {
			b.Fatal(err)
		}
		sink = v
	}
}

func BenchmarkTitleCase(b *testing.B) {
	b.Run("change", func(b *testing.B) { bench(b, titleCaseFn, "JEAN-LUC o'neil") })
	b.Run("unchanged", func(b *testing.B) { bench(b, titleCaseFn, "Jean-Luc O'Neil") })
	b.Run("unicode", func(b *testing.B) { bench(b, titleCaseFn, "ÉLODIE ÅSTRÖM") })
}

func BenchmarkNormalizeSpace(b *testing.B) {
	b.Run("change", func(b *testing.B) { bench(b, normalizeSpaceFn, "  12  High\tStreet ") })
	b.Run("unchanged", func(b *testing.B) { bench(b, normalizeSpaceFn, "12 High Street") })
}

func BenchmarkTruncate(b *testing.B) {
	b.Run("cut", func(b *testing.B) { bench(b, truncateFn, "Sluice Data Ltd, Leeds", 10, "…") })
	b.Run("fits", func(b *testing.B) { bench(b, truncateFn, "Sluice", 10, "…") })
}

func BenchmarkJoinNonEmpty(b *testing.B) {
	bench(b, joinNonEmptyFn, ", ", "1 High Street", nil, "", "Leeds", "LS1 4AP")
}

func BenchmarkNormalizeEmail(b *testing.B) {
	b.Run("change", func(b *testing.B) { bench(b, normalizeEmailFn, " Jane.Doe@Example.COM ") })
	b.Run("unchanged", func(b *testing.B) { bench(b, normalizeEmailFn, "jane.doe@example.com") })
}

func BenchmarkNormalizePhone(b *testing.B) {
	b.Run("national", func(b *testing.B) { bench(b, normalizePhoneFn, "020 7946 0000", "44") })
	b.Run("international", func(b *testing.B) { bench(b, normalizePhoneFn, "+44 (0)20 7946 0000") })
	b.Run("unchanged", func(b *testing.B) { bench(b, normalizePhoneFn, "+442079460000") })
}

func BenchmarkDomainOf(b *testing.B) {
	b.Run("url", func(b *testing.B) { bench(b, domainOfFn, "https://www.contoso.com/about") })
	b.Run("email", func(b *testing.B) { bench(b, domainOfFn, "jane@contoso.com") })
}

func BenchmarkSHA256(b *testing.B) {
	b.Run("string", func(b *testing.B) { bench(b, sha256Fn, "jane.doe@example.com") })
	b.Run("values", func(b *testing.B) { bench(b, sha256Fn, "Contoso", 42, 3.5, nil) })
}

func BenchmarkMD5(b *testing.B) {
	b.Run("string", func(b *testing.B) { bench(b, md5Fn, "jane.doe@example.com") })
}

func BenchmarkXXHash(b *testing.B) {
	ts := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	b.Run("string", func(b *testing.B) { bench(b, xxhashFn, "jane.doe@example.com") })
	b.Run("values", func(b *testing.B) { bench(b, xxhashFn, "Contoso", 42, 3.5, nil, ts) })
}

func BenchmarkParseTime(b *testing.B) {
	b.Run("RFC3339", func(b *testing.B) { bench(b, parseTimeFn, "2024-03-01T09:30:00Z", "RFC3339") })
	b.Run("date", func(b *testing.B) { bench(b, parseTimeFn, "2024-03-01", "date") })
	b.Run("strftime", func(b *testing.B) { bench(b, parseTimeFn, "01/03/2024 09:30", "%d/%m/%Y %H:%M") })
	b.Run("tz", func(b *testing.B) { bench(b, parseTimeFn, "2024-03-01 09:30:00", "datetime", "Europe/Paris") })
}

func BenchmarkFormatTime(b *testing.B) {
	ts := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	b.Run("RFC3339", func(b *testing.B) { bench(b, formatTimeFn, ts, "RFC3339") })
	b.Run("strftime", func(b *testing.B) { bench(b, formatTimeFn, ts, "%d/%m/%Y %H:%M") })
}

func BenchmarkRegexExtract(b *testing.B) {
	bench(b, regexExtractFn, "Order SO-12345 shipped", "SO-([0-9]+)")
}

func BenchmarkRoundTo(b *testing.B) {
	bench(b, roundToFn, 2.675, 2)
}

func BenchmarkParseFloat(b *testing.B) {
	b.Run("plain", func(b *testing.B) { bench(b, parseFloatFn, "1234.5") })
	b.Run("decimalComma", func(b *testing.B) { bench(b, parseFloatFn, "1.234,5", ",") })
}

func BenchmarkCoalesce(b *testing.B) {
	bench(b, coalesceFn, nil, "", "fallback")
}

// BenchmarkExprProgram measures a whole mapping expression per row through
// expr's VM, as the engine runs it.
func BenchmarkExprProgram(b *testing.B) {
	env := map[string]any{"first": "jane", "last": "DOE", "email": " Jane@Example.com", "phone": "020 7946 0000"}
	program, err := expr.Compile(
		`[titleCase(first ?? ""), titleCase(last ?? ""), normalizeEmail(email), normalizePhone(phone, "44"), xxhash(email, phone)]`,
		append(Options(), expr.Env(env))...)
	if err != nil {
		b.Fatal(err)
	}
	var machine vm.VM
	b.ReportAllocs()
	for b.Loop() {
		out, err := machine.Run(program, env)
		if err != nil {
			b.Fatal(err)
		}
		sink = out
	}
}

// TestUnchangedInputIsNotCopied checks the promise that a function returns
// its input when there is nothing to change (allocation-free on the hot path).
func TestUnchangedInputIsNotCopied(t *testing.T) {
	for _, c := range []struct {
		fn   func(...any) (any, error)
		args []any
	}{
		{titleCaseFn, []any{"Jane Doe"}},
		{normalizeSpaceFn, []any{"a b c"}},
		{leftFn, []any{"abc", 5}},
		{rightFn, []any{"abc", 5}},
		{truncateFn, []any{"abc", 5, "…"}},
		{padLeftFn, []any{"abc", 2}},
		{normalizeEmailFn, []any{"jane@example.com"}},
		{normalizePhoneFn, []any{"+442079460000"}},
		{domainOfFn, []any{"example.com"}},
		{roundToFn, []any{2.5, 2}},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := c.fn(c.args...); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations, want 0", c.args, allocs)
		}
	}
}
