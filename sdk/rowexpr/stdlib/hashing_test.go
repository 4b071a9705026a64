package stdlib

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
)

func TestHashesOfOneStringMatchOtherTools(t *testing.T) {
	// Reference values from sha256sum, md5sum and the XXH64 test vectors.
	runCases(t, []exprCase{
		{expr: `sha256("")`, want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{expr: `sha256("abc")`, want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{expr: `md5("")`, want: "d41d8cd98f00b204e9800998ecf8427e"},
		{expr: `md5("abc")`, want: "900150983cd24fb0d6963f7d28e17f72"},
		{expr: `xxhash("")`, want: "ef46db3751d8e999"},
		{expr: `xxhash("a")`, want: "d24ec4f1a98c6e5b"},
		{expr: `xxhash("abc")`, want: "44bc2cf5ad770999"},
		{expr: `sha256(s)`, env: map[string]any{"s": "abc"}, want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	})
	compileFails(t, `sha256()`, `md5()`, `xxhash()`)
}

// TestHashEncodingIsStable pins the canonical encoding: stored keys depend on
// it, so any change to these values breaks users' data.
func TestHashEncodingIsStable(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 0, 0, 5, time.UTC)
	runCases(t, []exprCase{
		{expr: `xxhash(nil)`, want: "e934a84adb052768"},
		{expr: `xxhash("a", "b")`, want: "fce202b2656d89f1"},
		{expr: `xxhash(1)`, want: "6e34392a493495da"},
		{expr: `xxhash(1.5)`, want: "e0da7986011f02a9"},
		{expr: `xxhash(true)`, want: "a4048dfb09f583e5"},
		{expr: `xxhash(t)`, env: map[string]any{"t": ts}, want: "e182d538bd504fad"},
		{expr: `xxhash(["a", 1, nil])`, want: "081970a6022dd75d"},
		{expr: `sha256("Contoso", 42, nil)`, want: "c5bb7f8a593ed748c51d27f007d83ecc4f58a7018041b47f41d7dafce97d6349"},
	})
}

// TestHashEncodingMatchesItsDocumentation builds the documented encoding by
// hand, independently of the implementation.
func TestHashEncodingMatchesItsDocumentation(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 0, 0, 5, time.UTC)
	be64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, c := range []struct {
		args []any
		enc  []byte
	}{
		{[]any{nil}, []byte{0}},
		{[]any{"a", "b"}, []byte{'s', 1, 'a', 's', 1, 'b'}},
		{[]any{1}, cat([]byte{'i'}, be64(1))},
		{[]any{-1}, cat([]byte{'i'}, be64(math.MaxUint64))},
		{[]any{1.5}, cat([]byte{'f'}, be64(math.Float64bits(1.5)))},
		{[]any{true}, []byte{'b', 1}},
		{[]any{ts}, cat([]byte{'t'}, be64(uint64(ts.Unix())), []byte{0, 0, 0, 5})},
		{[]any{time.Second}, cat([]byte{'d'}, be64(1e9))},
		{[]any{[]any{"a", 1, nil}}, cat([]byte{'l', 3, 's', 1, 'a', 'i'}, be64(1), []byte{0})},
		{[]any{map[string]any{"b": true, "a": nil}}, []byte{'m', 2, 's', 1, 'a', 0, 's', 1, 'b', 'b', 1}},
		{[]any{[]byte("x"), "y"}, []byte{'y', 1, 'x', 's', 1, 'y'}},
		{[]any{uint64(math.MaxUint64)}, cat([]byte{'u'}, be64(math.MaxUint64))},
		{[]any{"x"}, []byte("x")},
	} {
		got, err := hashInput("test", nil, c.args)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, c.enc) {
			t.Errorf("%v: encoded as %q, documented as %q", c.args, got, c.enc)
		}
		want := fmt.Sprintf("%016x", xxhash.Sum64(c.enc))
		if h, _ := xxhashFn(c.args...); h != want {
			t.Errorf("%v: xxhash %v, want %v", c.args, h, want)
		}
	}
}

func TestHashDistinguishesValues(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	paris, _ := time.LoadLocation("Europe/Paris")
	distinct := [][]any{
		{nil}, {""}, {"", ""}, {0}, {0.0}, {false}, {"0"}, {[]any{}}, {map[string]any{}},
		{"ab", "c"}, {"a", "bc"}, {"abc"}, {[]any{"a", "bc"}},
		{nil, nil}, {[]any{nil}}, {1, 2}, {[]any{1, 2}}, {[]any{1}, 2},
		{ts}, {ts.Unix()}, {time.Hour}, {uint64(math.MaxUint64)}, {-1},
		{map[string]any{"a": 1}}, {map[string]any{"a": 2}}, {[]byte("x"), "y"}, {"x", "y"},
	}
	for _, fn := range []func(...any) (any, error){sha256Fn, md5Fn, xxhashFn} {
		seen := map[any][]any{}
		for _, args := range distinct {
			h, err := fn(args...)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			if prev, ok := seen[h]; ok {
				t.Errorf("%v and %v hash alike", prev, args)
			}
			seen[h] = args
		}
	}
	same := [][2][]any{
		{{ts}, {ts.In(paris)}},          // an instant, whatever the zone
		{{1}, {int64(1)}},               // any Go integer type
		{{uint8(7)}, {7}},               //
		{{0.0}, {math.Copysign(0, -1)}}, // -0 is 0
		{{math.NaN()}, {-math.NaN()}},   // all NaNs alike
		{{float32(1.5)}, {1.5}},         // float32 widened
		{{"x"}, {[]byte("x")}},          // one string or bytes: raw
		{{map[string]any{"a": 1, "b": 2}}, {map[string]any{"b": 2, "a": 1}}},
	}
	for _, pair := range same {
		a, _ := xxhashFn(pair[0]...)
		b, _ := xxhashFn(pair[1]...)
		if a != b {
			t.Errorf("%v and %v hash differently", pair[0], pair[1])
		}
	}
}

func TestHashErrors(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `sha256(duration("1h"), timezone("UTC"))`, err: "sha256: cannot hash a value of type *time.Location"},
		{expr: `md5("a", {"k": timezone("UTC")})`, err: "md5: cannot hash a value of type *time.Location"},
	})
	deep := []any{}
	for i := 0; i < 40; i++ {
		deep = []any{deep}
	}
	if _, err := xxhashFn(deep); err == nil || err.Error() != "xxhash: values nested more than 32 deep" {
		t.Errorf("deep nesting: %v", err)
	}
}
