package stdlib

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
)

// hashEncodingDoc describes the canonical encoding; it is part of the
// contract (hashes are stored as keys and compared across runs, machines and
// Sluice versions), so it must never change.
const hashEncodingDoc = "A single string (or bytes) argument is hashed as its UTF-8 bytes, so the result matches other tools. " +
	"Any other call hashes a canonical, unambiguous encoding of its arguments, in which null, \"\" and 0 all differ and (\"ab\", \"c\") differs from (\"a\", \"bc\")."

func hashingFunctions() []Function {
	return []Function{
		{
			Name: "sha256", Category: catHashing,
			Signature: "sha256(values ...any) string",
			Doc:       "The SHA-256 of the values as 64 lower-case hex digits, stable across runs and machines. " + hashEncodingDoc,
			Examples: []Example{
				{`sha256("jane@example.com")`, `"8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d"`},
				{`sha256("Contoso", 42, nil) == sha256("Contoso", 42, nil)`, `true`},
				{`sha256("ab", "c") == sha256("a", "bc")`, `false`},
			},
			Fn:    sha256Fn,
			Types: []any{new(func(any, ...any) string)},
		},
		{
			Name: "md5", Category: catHashing,
			Signature: "md5(values ...any) string",
			Doc: "The MD5 of the values as 32 lower-case hex digits, for systems that key on it (such as a lower-cased email's MD5); not for security. " +
				"Values are encoded as for sha256.",
			Examples: []Example{{`md5(lower("Jane@Example.com"))`, `"9e26471d35a78862c17e467d87cddedf"`}},
			Fn:       md5Fn,
			Types:    []any{new(func(any, ...any) string)},
		},
		{
			Name: "xxhash", Category: catHashing,
			Signature: "xxhash(values ...any) string",
			Doc: "The 64-bit xxHash (XXH64, seed 0) of the values as 16 lower-case hex digits: a fast, stable key for deduplication and change detection, not for security. " +
				"Values are encoded as for sha256.",
			Examples: []Example{
				{`xxhash("")`, `"ef46db3751d8e999"`},
				{`xxhash("jane@example.com")`, `"886f1f3b57a99515"`},
				{`xxhash(nil) != xxhash("")`, `true`},
			},
			Fn:    xxhashFn,
			Types: []any{new(func(any, ...any) string)},
		},
	}
}

// Canonical encoding of hashed values. Each value is a one-byte tag and a
// payload; integers are big-endian.
//
//	null      0x00
//	string    's' uvarint(len) bytes
//	bytes     'y' uvarint(len) bytes
//	bool      'b' 0x00 or 0x01
//	int       'i' int64 (any Go integer type, unsigned ones above MaxInt64 as 'u' uint64)
//	float     'f' IEEE-754 bits of the float64 (-0 hashed as 0, every NaN alike)
//	time      't' int64 Unix seconds, uint32 nanoseconds (the instant: the zone is ignored)
//	duration  'd' int64 nanoseconds
//	list      'l' uvarint(count) elements
//	map       'm' uvarint(count) then key (as a string) and value, sorted by key
//
// A call with exactly one string or bytes argument hashes those bytes as
// they are, with no tag.
const maxHashDepth = 32

func hashInput(fn string, dst []byte, args []any) ([]byte, error) {
	if len(args) == 1 {
		switch v := args[0].(type) {
		case string:
			return append(dst, v...), nil
		case []byte:
			return append(dst, v...), nil
		}
	}
	var err error
	for _, v := range args {
		if dst, err = appendHashValue(fn, dst, v, 0); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

func appendHashValue(fn string, b []byte, v any, depth int) ([]byte, error) {
	if depth > maxHashDepth {
		return nil, errorf(fn, "values nested more than %d deep", maxHashDepth)
	}
	switch x := v.(type) {
	case nil:
		return append(b, 0), nil
	case string:
		b = binary.AppendUvarint(append(b, 's'), uint64(len(x)))
		return append(b, x...), nil
	case []byte:
		b = binary.AppendUvarint(append(b, 'y'), uint64(len(x)))
		return append(b, x...), nil
	case bool:
		if x {
			return append(b, 'b', 1), nil
		}
		return append(b, 'b', 0), nil
	case float64:
		return appendHashFloat(b, x), nil
	case float32:
		return appendHashFloat(b, float64(x)), nil
	case time.Time:
		b = binary.BigEndian.AppendUint64(append(b, 't'), uint64(x.Unix()))
		return binary.BigEndian.AppendUint32(b, uint32(x.Nanosecond())), nil
	case time.Duration:
		return binary.BigEndian.AppendUint64(append(b, 'd'), uint64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return binary.BigEndian.AppendUint64(append(b, 'u'), x), nil
		}
		return binary.BigEndian.AppendUint64(append(b, 'i'), x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return binary.BigEndian.AppendUint64(append(b, 'u'), uint64(x)), nil
		}
		return binary.BigEndian.AppendUint64(append(b, 'i'), uint64(x)), nil
	case []any:
		b = binary.AppendUvarint(append(b, 'l'), uint64(len(x)))
		var err error
		for _, e := range x {
			if b, err = appendHashValue(fn, b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = binary.AppendUvarint(append(b, 'm'), uint64(len(x)))
		var err error
		for _, k := range keys {
			b = binary.AppendUvarint(append(b, 's'), uint64(len(k)))
			b = append(b, k...)
			if b, err = appendHashValue(fn, b, x[k], depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	if n, ok := toInt(v); ok {
		return binary.BigEndian.AppendUint64(append(b, 'i'), uint64(int64(n))), nil
	}
	return nil, errorf(fn, "cannot hash a value of type %s", typeName(v))
}

func appendHashFloat(b []byte, f float64) []byte {
	switch {
	case f == 0:
		f = 0 // -0 and 0 hash alike
	case math.IsNaN(f):
		f = math.NaN()
	}
	return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(f))
}

// hashBufferSize is the stack buffer for the encoded input; longer inputs
// spill to the heap.
const hashBufferSize = 256

func sha256Fn(args ...any) (any, error) {
	if err := checkArity("sha256", args, 1, -1); err != nil {
		return nil, err
	}
	var buf [hashBufferSize]byte
	in, err := hashInput("sha256", buf[:0], args)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(in)
	return hexString(sum[:]), nil
}

func md5Fn(args ...any) (any, error) {
	if err := checkArity("md5", args, 1, -1); err != nil {
		return nil, err
	}
	var buf [hashBufferSize]byte
	in, err := hashInput("md5", buf[:0], args)
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(in)
	return hexString(sum[:]), nil
}

func xxhashFn(args ...any) (any, error) {
	if err := checkArity("xxhash", args, 1, -1); err != nil {
		return nil, err
	}
	var h uint64
	if s, ok := args[0].(string); ok && len(args) == 1 {
		h = xxhash.Sum64String(s)
	} else {
		var buf [hashBufferSize]byte
		in, err := hashInput("xxhash", buf[:0], args)
		if err != nil {
			return nil, err
		}
		h = xxhash.Sum64(in)
	}
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], h)
	return hexString(sum[:]), nil
}

func hexString(sum []byte) string {
	var out [2 * sha256.Size]byte
	n := hex.Encode(out[:], sum)
	return string(out[:n])
}
