package dedupe

import (
	"fmt"
	"hash/maphash"
	"strconv"
	"time"
)

// keyHash identifies a key by a 128-bit hash of its text rather than the text
// itself: a dedupe over millions of rows holds one entry per distinct key,
// and 16 bytes per key is a fraction of what the strings would take. Two
// different keys share a hash with a probability near 2^-88 for a million
// keys, far below the odds of a hardware fault.
type keyHash [2]uint64

// keyHasher hashes keys with two independent seeds, fixed for the life of
// one transform instance.
type keyHasher struct{ a, b maphash.Seed }

func newKeyHasher() keyHasher { return keyHasher{maphash.MakeSeed(), maphash.MakeSeed()} }

// hash returns the hash of a key value, and false for a value that
// identifies nothing: null or the empty string.
func (h keyHasher) hash(v any) (keyHash, bool) {
	s, ok := keyText(v)
	if !ok {
		return keyHash{}, false
	}
	return keyHash{maphash.String(h.a, s), maphash.String(h.b, s)}, true
}

// keyText is the text a key value is compared by.
func keyText(v any) (string, bool) {
	switch k := v.(type) {
	case nil:
		return "", false
	case string:
		return k, k != ""
	case int:
		return strconv.Itoa(k), true
	case float64:
		return strconv.FormatFloat(k, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(k), true
	case time.Time:
		return k.UTC().Format(time.RFC3339Nano), true
	}
	return fmt.Sprint(v), true
}
