package runtime

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cespare/xxhash/v2"

	"github.com/sluicedata/sluice/engine/state"
)

// rowHasher hashes rows of a batch, whole or by some columns, into 128 bits
// that are stable across processes and machines, so that a snapshot written
// by one run is understood by the next. Values are written in a canonical,
// type-tagged, length-prefixed form, so that no two different rows encode
// alike ("ab","c" and "a","bc"; null and "").
type rowHasher struct {
	buf    []byte
	digest *xxhash.Digest
}

// Two fixed seeds give the two halves of the 128-bit hash.
const (
	seedLow  = 0x736c75696365_01
	seedHigh = 0x736c75696365_02
)

func newRowHasher() *rowHasher { return &rowHasher{digest: xxhash.NewWithSeed(seedLow)} }

// hash returns the hash of row i's values in the given columns.
func (h *rowHasher) hash(cols []arrow.Array, i int) [16]byte {
	h.buf = h.buf[:0]
	for _, c := range cols {
		h.buf = appendValue(h.buf, c, i)
	}
	var out [16]byte
	h.digest.ResetWithSeed(seedLow)
	h.digest.Write(h.buf)
	binary.LittleEndian.PutUint64(out[:8], h.digest.Sum64())
	h.digest.ResetWithSeed(seedHigh)
	h.digest.Write(h.buf)
	binary.LittleEndian.PutUint64(out[8:], h.digest.Sum64())
	return out
}

func (h *rowHasher) key(cols []arrow.Array, i int) state.Key      { return state.Key(h.hash(cols, i)) }
func (h *rowHasher) content(cols []arrow.Array, i int) state.Hash { return state.Hash(h.hash(cols, i)) }

// appendValue appends the canonical encoding of value i of a.
func appendValue(b []byte, a arrow.Array, i int) []byte {
	if a.IsNull(i) {
		return append(b, 0)
	}
	switch c := a.(type) {
	case *array.String:
		return appendBytes(append(b, 's'), c.Value(i))
	case *array.LargeString:
		return appendBytes(append(b, 's'), c.Value(i))
	case *array.Binary:
		return appendBytes(append(b, 'b'), string(c.Value(i)))
	case *array.Int64:
		return binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(c.Value(i)))
	case *array.Int32:
		return binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(c.Value(i)))
	case *array.Int16:
		return binary.LittleEndian.AppendUint64(append(b, 'i'), uint64(c.Value(i)))
	case *array.Float64:
		return binary.LittleEndian.AppendUint64(append(b, 'f'), math.Float64bits(c.Value(i)))
	case *array.Float32:
		return binary.LittleEndian.AppendUint64(append(b, 'f'), math.Float64bits(float64(c.Value(i))))
	case *array.Boolean:
		if c.Value(i) {
			return append(b, 't')
		}
		return append(b, 'F')
	case *array.Timestamp:
		return binary.LittleEndian.AppendUint64(append(b, 'T', byte(c.DataType().(*arrow.TimestampType).Unit)), uint64(c.Value(i)))
	case *array.Date32:
		return binary.LittleEndian.AppendUint64(append(b, 'd'), uint64(c.Value(i)))
	}
	// Other types by their text, tagged with the type so that a column
	// whose type changes does not compare equal by accident.
	return appendBytes(append(appendBytes(append(b, 'x'), a.DataType().String()), 0), a.ValueStr(i))
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
