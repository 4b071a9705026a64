package wire

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// A projected transform (sdk.Projector) moves only what it needs: Process
// calls carry the input columns it reads, and results the output columns
// it computes, or a Keep bitmap. Each side works out the same projection
// from what Open said; the engine side keeps the input, so it rebuilds the
// output from its own columns where the transform passes them on.

// projection is a transform's Columns, resolved against its schemas.
type projection struct {
	in, out *arrow.Schema
	// reads are the input columns sent, ascending; readSchema their schema.
	reads      []int
	readSchema *arrow.Schema
	// passes[i] is the input column output column i passes, or -1;
	// computed are the output columns with -1, and computedSchema their
	// schema.
	passes         []int
	computed       []int
	computedSchema *arrow.Schema
}

// newProjection checks reads and passes against the schemas; what a
// plugin's Columns says, or what crosses the wire.
func newProjection(in, out *arrow.Schema, reads, passes []int) (*projection, error) {
	p := &projection{in: in, out: out, reads: reads, passes: passes}
	fields := make([]arrow.Field, 0, len(reads))
	for k, j := range reads {
		if j < 0 || j >= in.NumFields() || (k > 0 && j <= reads[k-1]) {
			return nil, fmt.Errorf("read columns %v: not ascending indexes of the %d input columns", reads, in.NumFields())
		}
		fields = append(fields, in.Field(j))
	}
	p.readSchema = arrow.NewSchema(fields, nil)
	if len(passes) != out.NumFields() {
		return nil, fmt.Errorf("describes %d output columns; Open reported %d", len(passes), out.NumFields())
	}
	fields = nil
	for i, j := range passes {
		switch {
		case j == -1:
			p.computed = append(p.computed, i)
			fields = append(fields, out.Field(i))
		case j < -1 || j >= in.NumFields():
			return nil, fmt.Errorf("output column %d passes input column %d; the input has %d", i, j, in.NumFields())
		case !arrow.TypeEqual(in.Field(j).Type, out.Field(i).Type):
			return nil, fmt.Errorf("output column %q passes input column %q, but their types differ: %s and %s", out.Field(i).Name, in.Field(j).Name, out.Field(i).Type, in.Field(j).Type)
		}
	}
	p.computedSchema = arrow.NewSchema(fields, nil)
	return p, nil
}

// projectorOf returns the projection of an open transform that is an
// sdk.Projector, or nil for one that is not, or says it is no projection.
func projectorOf(tr sdk.Transform, in, out *arrow.Schema) (*projection, error) {
	pr, ok := tr.(sdk.Projector)
	if !ok {
		return nil, nil
	}
	names, passes := pr.Columns()
	if passes == nil {
		return nil, nil
	}
	var reads []int
	for _, name := range names {
		idx := in.FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("Columns() says Process reads column %q, which the input does not have", name)
		}
		reads = append(reads, idx...)
	}
	slices.Sort(reads)
	p, err := newProjection(in, out, slices.Compact(reads), slices.Clone(passes))
	if err != nil {
		return nil, fmt.Errorf("Columns(): %w", err)
	}
	return p, nil
}

func (p *projection) toPB() *pb.Projection {
	out := &pb.Projection{Reads: make([]int32, len(p.reads)), Passes: make([]int32, len(p.passes))}
	for k, j := range p.reads {
		out.Reads[k] = int32(j)
	}
	for i, j := range p.passes {
		out.Passes[i] = int32(j)
	}
	return out
}

func projectionFromPB(in, out *arrow.Schema, m *pb.Projection) (*projection, error) {
	reads := make([]int, len(m.Reads))
	for k, j := range m.Reads {
		reads[k] = int(j)
	}
	passes := make([]int, len(m.Passes))
	for i, j := range m.Passes {
		passes[i] = int(j)
	}
	return newProjection(in, out, reads, passes)
}

// narrow returns the columns of rec the transform reads, for sending.
func (p *projection) narrow(rec arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, len(p.reads))
	for k, j := range p.reads {
		cols[k] = rec.Column(j)
	}
	return array.NewRecordBatch(p.readSchema, cols, rec.NumRows())
}

// rebuild is the engine side's output for input rec from the computed
// columns that came back: passed columns are rec's own.
func (p *projection) rebuild(rec, computed arrow.RecordBatch) (arrow.RecordBatch, error) {
	if computed.NumRows() != rec.NumRows() || int(computed.NumCols()) != len(p.computed) {
		return nil, fmt.Errorf("%w: a projected result of %d rows and %d columns for %d rows and %d computed columns", errProtocol, computed.NumRows(), computed.NumCols(), rec.NumRows(), len(p.computed))
	}
	cols := make([]arrow.Array, len(p.passes))
	k := 0
	for i, j := range p.passes {
		if j >= 0 {
			cols[i] = rec.Column(j)
		} else {
			cols[i] = computed.Column(k)
			k++
		}
	}
	return array.NewRecordBatch(p.out, cols, rec.NumRows()), nil
}

// widener rebuilds, on the plugin side, full-width input batches from the
// columns received: the columns the transform does not read are all-null
// placeholders, slices of one cached null array per column, so that no
// batch allocates more than the slice.
type widener struct {
	p     *projection
	mem   memory.Allocator
	nulls []arrow.Array // by input column; nil for read columns or until needed
}

func (w *widener) widen(rec arrow.RecordBatch) (out arrow.RecordBatch, err error) {
	if int(rec.NumCols()) != len(w.p.reads) {
		return nil, fmt.Errorf("%w: a projected call of %d columns, not %d", errProtocol, rec.NumCols(), len(w.p.reads))
	}
	n := int(rec.NumRows())
	cols := make([]arrow.Array, w.p.in.NumFields())
	for k, j := range w.p.reads {
		cols[j] = rec.Column(k)
	}
	var slices []arrow.Array
	for j := range cols {
		if cols[j] != nil {
			continue
		}
		if w.nulls[j] == nil || w.nulls[j].Len() < n {
			size := n
			if w.nulls[j] != nil {
				size = max(n, 2*w.nulls[j].Len())
				w.nulls[j].Release()
			}
			if w.nulls[j], err = makeNulls(w.mem, w.p.in.Field(j).Type, size); err != nil {
				for _, s := range slices {
					s.Release()
				}
				return nil, fmt.Errorf("a placeholder for column %q: %w", w.p.in.Field(j).Name, err)
			}
		}
		if w.nulls[j].Len() == n {
			cols[j] = w.nulls[j]
			continue
		}
		cols[j] = array.NewSlice(w.nulls[j], 0, int64(n))
		slices = append(slices, cols[j])
	}
	out = array.NewRecordBatch(w.p.in, cols, int64(n))
	for _, s := range slices {
		s.Release()
	}
	return out, nil
}

// makeNulls is array.MakeArrayOfNull, which panics on the few types it
// cannot make, as an error.
func makeNulls(mem memory.Allocator, dt arrow.DataType, n int) (a arrow.Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return array.MakeArrayOfNull(mem, dt, n), nil
}

func (w *widener) release() {
	for j, a := range w.nulls {
		if a != nil {
			a.Release()
			w.nulls[j] = nil
		}
	}
}

// sameArray reports whether a and b are the same array: one value, or two
// views of the same data.
func sameArray(a, b arrow.Array) bool { return a == b || a.Data() == b.Data() }

// resultRecord checks a transform's result on the plugin side and returns
// the record to send for it, filling in h's keep. in is the input the
// transform was given (full width, placeholders included), or nil for
// Flush. It takes over res.Out and res.Keep; a result that breaks the
// contract is an error, which fails the call.
func (s *Server) resultRecord(ctx context.Context, inst *instance, in arrow.RecordBatch, res sdk.Result, h *pb.Batch) (arrow.RecordBatch, error) {
	release := func() {
		if res.Out != nil {
			res.Out.Release()
		}
		if res.Keep != nil {
			res.Keep.Release()
		}
	}
	if res.Out != nil && res.Out.NumRows() == 0 {
		// No rows: the engine treats it as no batch, so send none.
		res.Out.Release()
		res.Out = nil
	}
	if res.Out != nil && !res.Out.Schema().Equal(inst.out) {
		release()
		return nil, fmt.Errorf("returned a batch whose schema differs from the one Open reported:\n%s\nwant:\n%s", res.Out.Schema(), inst.out)
	}
	if in == nil {
		switch {
		case res.Keep != nil:
			release()
			return nil, fmt.Errorf("Flush returned Keep, which it cannot: it has no input batch to select from")
		case inst.proj != nil && res.Out != nil:
			release()
			return nil, fmt.Errorf("plugin %q is a projector (sdk.Projector) whose Flush returned rows: a projector's rows come from the input of the same call", inst.plugin.Info().Name)
		}
		return res.Out, nil
	}
	if !inst.columnar {
		// An engine that predates Keep and aligned Out gets the rows.
		rejects := slices.SortedFunc(slices.Values(res.Rejects), func(a, b sdk.RowError) int { return a.Row - b.Row })
		return batches.Output(ctx, s.opts.Allocator, in, res, rejects, inst.flusher)
	}
	rows := in.NumRows()
	if res.Keep != nil {
		if res.Out != nil {
			release()
			return nil, fmt.Errorf("returned both Out and Keep; set one")
		}
		if int64(res.Keep.Len()) != rows {
			release()
			return nil, fmt.Errorf("returned a Keep of %d values for a batch of %d rows", res.Keep.Len(), rows)
		}
		h.Keep, h.HasKeep = bitmap(res.Keep), true
		res.Keep.Release()
		return nil, nil
	}
	p := inst.proj
	if p == nil || res.Out == nil {
		return res.Out, nil
	}
	name := inst.plugin.Info().Name
	if res.Out.NumRows() != rows {
		release()
		return nil, fmt.Errorf("plugin %q is a projector (sdk.Projector) but returned an Out of %d rows for %d input rows: a projector returns Keep, or an Out aligned with its input", name, res.Out.NumRows(), rows)
	}
	for i, j := range p.passes {
		if j >= 0 && !sameArray(res.Out.Column(i), in.Column(j)) {
			release()
			return nil, fmt.Errorf("plugin %q broke its Columns() contract (sdk.Projector): output column %q is not input column %q passed on unchanged; a passed column must be the input's very array", name, p.out.Field(i).Name, p.in.Field(j).Name)
		}
	}
	cols := make([]arrow.Array, len(p.computed))
	for k, i := range p.computed {
		cols[k] = res.Out.Column(i)
	}
	computed := array.NewRecordBatch(p.computedSchema, cols, rows)
	res.Out.Release()
	return computed, nil
}

// bitmap packs keep into one bit per row, from bit 0; a null is false.
func bitmap(keep *array.Boolean) []byte {
	n := keep.Len()
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	if n == 0 {
		return out
	}
	off := keep.Data().Offset()
	if keep.NullN() == 0 && off%8 == 0 {
		copy(out, keep.Data().Buffers()[1].Bytes()[off/8:])
		if n%8 != 0 {
			out[len(out)-1] &= byte(1)<<(n%8) - 1
		}
		return out
	}
	for i := range n {
		if batches.Kept(keep, i) {
			bitutil.SetBit(out, i)
		}
	}
	return out
}

// keepFromBitmap is the engine side's Keep for a result of rows rows. It
// wraps the received bytes without copying them.
func keepFromBitmap(b []byte, rows int64) (*array.Boolean, error) {
	if int64(len(b)) != bitutil.BytesForBits(rows) {
		return nil, fmt.Errorf("%w: a keep bitmap of %d bytes for %d rows", errProtocol, len(b), rows)
	}
	data := array.NewData(arrow.FixedWidthTypes.Boolean, int(rows), []*memory.Buffer{nil, memory.NewBufferBytes(b)}, nil, 0, 0)
	defer data.Release()
	return array.NewBooleanData(data), nil
}
