package rowexpr

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
)

// batch is what the columnar programs of one evaluator share while they run
// over one record batch: the input columns, loaded once, the rows that
// failed, and the memory for the strings they produce. It is reused from
// batch to batch.
type batch struct {
	rec arrow.RecordBatch
	n   int
	// all lists every row, 0 … n-1: the selection a program starts with.
	all []int32
	// columns holds the input columns loaded for this batch, by schema index;
	// a column is loaded when a program first reads it.
	columns []loaded
	gen     uint64
	// failed marks the rows on which the program being evaluated failed;
	// failures says how, in the order the rows failed.
	failed   []bool
	failures []failure
	arena    arena
}

// loaded is an input column as a vector, valid while gen is the batch's.
// borrowed is set while the vector's values are the column's own memory.
type loaded struct {
	gen      uint64
	vec      vector
	borrowed bool
}

// failure is a row on which a program failed: the virtual machine's message
// and the position in the expression of the operation that failed, 0-based
// as [file.Error] counts columns.
type failure struct {
	row    int32
	column int
	msg    string
}

// reset prepares b for rec. Strings produced for the previous batch are
// overwritten from now on, so the caller must be done with them.
func (b *batch) reset(rec arrow.RecordBatch, fields int) {
	b.rec = rec
	b.n = int(rec.NumRows())
	b.gen++
	if len(b.columns) < fields {
		b.columns = make([]loaded, fields)
	}
	if len(b.all) < b.n {
		b.all = make([]int32, b.n)
		for i := range b.all {
			b.all[i] = int32(i)
		}
	}
	b.failed = sized(b.failed, b.n)
	clear(b.failed)
	b.failures = b.failures[:0]
	b.arena.reset()
}

// rows returns the selection of every row of the batch.
func (b *batch) rows() []int32 { return b.all[:b.n] }

// column returns input column c as a vector of kind k, loading it on first
// use in this batch.
func (b *batch) column(c int, k kind) *vector {
	l := &b.columns[c]
	if l.gen != b.gen {
		l.load(b.rec.Column(c), k, b.n)
		l.gen = b.gen
	}
	return &l.vec
}

// fail records that row failed at the operation at column of the
// expression, with the virtual machine's message.
func (b *batch) fail(row int32, column int, msg string) {
	b.failed[row] = true
	b.failures = append(b.failures, failure{row: row, column: column, msg: msg})
}

// survivors returns the rows of sel that have not failed, given the number
// of failures recorded before sel's rows were evaluated: sel itself when
// none failed since, otherwise a copy in *buf.
func (b *batch) survivors(sel []int32, mark int, buf *[]int32) []int32 {
	if len(b.failures) == mark {
		return sel
	}
	out := (*buf)[:0]
	for _, i := range sel {
		if !b.failed[i] {
			out = append(out, i)
		}
	}
	*buf = out
	return out
}

// strictness describes an operation that fails on nil operands, as most of
// expr's operators and functions do: where it is, and the virtual machine's
// message for each combination of nil operands (bit i set: operand i is
// nil).
type strictness struct {
	column int
	msgs   [8]string
}

// nonNil fails the rows of sel on which any of the operands (up to three;
// nil for none) is nil, and returns the others: sel itself when no operand
// holds a nil.
func (b *batch) nonNil(sel []int32, s *strictness, buf *[]int32, x, y, z *vector) []int32 {
	var xn, yn, zn []bool
	if x != nil {
		xn = x.null
	}
	if y != nil {
		yn = y.null
	}
	if z != nil {
		zn = z.null
	}
	if xn == nil && yn == nil && zn == nil {
		return sel
	}
	out := (*buf)[:0]
	for _, i := range sel {
		var m uint8
		if xn != nil && xn[i] {
			m |= 1
		}
		if yn != nil && yn[i] {
			m |= 2
		}
		if zn != nil && zn[i] {
			m |= 4
		}
		if m != 0 {
			b.fail(i, s.column, s.msgs[m])
			continue
		}
		out = append(out, i)
	}
	*buf = out
	return out
}

// arena holds the bytes of the strings that programs produce for one batch,
// so that producing them does not allocate per row. The strings are valid
// until the arena is reset for the next batch; an arena on the heap instead
// gives each string memory of its own, for callers that keep them.
type arena struct {
	buf  []byte
	heap bool
}

const arenaChunk = 64 << 10

func (a *arena) reset() { a.buf = a.buf[:0] }

// alloc returns n bytes to fill, then pass to str.
func (a *arena) alloc(n int) []byte {
	if a.heap {
		return make([]byte, n)
	}
	if len(a.buf)+n > cap(a.buf) {
		// The strings already made keep the old chunk alive.
		a.buf = make([]byte, 0, max(2*cap(a.buf), n, arenaChunk))
	}
	start := len(a.buf)
	a.buf = a.buf[:start+n]
	return a.buf[start : start+n : start+n]
}

// copy returns b as a string in the arena.
func (a *arena) copy(b []byte) string {
	buf := a.alloc(len(b))
	copy(buf, b)
	return str(buf)
}

// str returns the bytes from alloc as a string, without copying them.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
