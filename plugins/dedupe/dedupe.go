// Package dedupe is the dedupe transform: it collapses rows that share a key
// into one, keeping the first, the last, or the one with the greatest or
// least value of an order expression.
//
// Keeping the first row streams: a row is passed on the moment its key is
// new, and only the keys are held. Keeping any other row needs the whole
// input, since a later row may win: the transform holds the input batches
// (releasing each as soon as none of its rows is still a winner) and emits
// the winners, in input order, when the input ends. Either way it reports
// the memory it holds, for the run summary.
//
// A row whose key is null or the empty string identifies nothing, so it is
// never a duplicate of another: it is passed on as is.
package dedupe

import (
	"context"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// Config is the dedupe transform's configuration.
type Config struct {
	Key  sdk.Expr `sluice:"key,required" doc:"The expression whose value identifies duplicates. Rows with equal keys collapse into one; a null or empty key is never a duplicate." example:"\"lower(trim(email))\""`
	Keep string   `sluice:"keep" default:"first" doc:"Which row of each key survives: first (streams; holds only keys), last, greatest or least (by the by expression; ties keep the earlier row)."`
	By   sdk.Expr `sluice:"by" doc:"The order expression that keep = greatest or least compares." example:"\"updated_at\""`
}

// Transform is the dedupe plugin.
var Transform = sdk.TransformPlugin(sdk.Info{
	Name:    "dedupe",
	Version: "1.0.0",
	Summary: "Collapses rows that share a key, keeping the first, last, greatest or least.",
	Examples: []sdk.Example{{
		Title: "One row per email, the most recently updated",
		HCL: `transform "dedupe" "by_email" {
  input = transform.normalize
  key   = "email"
  keep  = "greatest"
  by    = "updated_at"
}`,
	}},
}, newDedupe)

func newDedupe(cfg Config) (sdk.Transform, error) {
	switch cfg.Keep {
	case "first", "last":
		if !cfg.By.IsZero() {
			return nil, sdk.Errorf(sdk.Path{"by"}, "by only applies to keep = \"greatest\" or \"least\"")
		}
	case "greatest", "least":
		if cfg.By.IsZero() {
			return nil, sdk.Errorf(sdk.Path{"keep"}, "keep = %q needs by, the expression to compare", cfg.Keep)
		}
	default:
		return nil, sdk.Errorf(sdk.Path{"keep"}, "keep must be \"first\", \"last\", \"greatest\" or \"least\", not %q", cfg.Keep)
	}
	return &dedupe{cfg: cfg}, nil
}

type dedupe struct {
	cfg  Config
	mem  memory.Allocator
	eval *rowexpr.Evaluator
	// reads and passes are what Columns reports for keep = first.
	reads  []string
	passes []int

	// seen holds the keys met so far, for keep = first; hold the winners,
	// for the other modes.
	seen   map[keyHash]struct{}
	hasher keyHasher
	hold   *holder

	heldSize atomic.Int64
}

func (d *dedupe) Open(_ context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	d.mem = host.Allocator()
	progs := []*rowexpr.Program{}
	var diags sdk.Diagnostics
	key, err := rowexpr.Compile(d.cfg.Key, in)
	if err != nil {
		diags = append(diags, sdk.AsDiagnostics(err)...)
	}
	progs = append(progs, key)
	if !d.cfg.By.IsZero() {
		by, err := rowexpr.Compile(d.cfg.By, in)
		if err != nil {
			diags = append(diags, sdk.AsDiagnostics(err)...)
		}
		progs = append(progs, by)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	d.eval = rowexpr.NewEvaluator(progs...)
	if d.cfg.Keep == "first" {
		d.seen, d.hasher = map[keyHash]struct{}{}, newKeyHasher()
		d.reads = key.Columns()
		d.passes = make([]int, in.NumFields())
		for i := range d.passes {
			d.passes[i] = i
		}
	} else {
		var order *orderColumn
		if len(progs) > 1 {
			order = newOrderColumn(progs[1].Type())
		}
		d.hold = newHolder(d.cfg.Keep, order)
	}
	return in, nil
}

// Columns: keeping the first row reads the key's columns and passes every
// column on; the other modes hold rows, and are no projection.
func (d *dedupe) Columns() ([]string, []int) { return d.reads, d.passes }

func (d *dedupe) Process(_ context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	if d.hold == nil {
		return d.first(in)
	}
	res := d.hold.add(in, d.eval)
	d.heldSize.Store(d.hold.bytes())
	return res, nil
}

// first passes on the rows whose key is new, as a Keep mask.
func (d *dedupe) first(in arrow.RecordBatch) (sdk.Result, error) {
	var res sdk.Result
	n := int(in.NumRows())
	b := array.NewBooleanBuilder(d.mem)
	defer b.Release()
	b.Reserve(n)
	next := 0
	res.Rejects = d.eval.Rows(in, func(row int, results []any) {
		for ; next < row; next++ {
			b.UnsafeAppend(false) // rejected
		}
		next = row + 1
		if key, ok := d.hasher.hash(results[0]); ok {
			if _, dup := d.seen[key]; dup {
				res.Deduplicated++
				b.UnsafeAppend(false)
				return
			}
			d.seen[key] = struct{}{}
		}
		b.UnsafeAppend(true)
	})
	for ; next < n; next++ {
		b.UnsafeAppend(false)
	}
	d.heldSize.Store(int64(len(d.seen)) * keyEntryBytes)
	res.Keep = b.NewBooleanArray()
	return res, nil
}

// Flush emits the winners, in input order, one held batch at a time, so
// that what it emits can be written and released while it goes on.
func (d *dedupe) Flush(ctx context.Context) (sdk.Result, error) {
	if d.hold == nil {
		return sdk.Result{}, nil
	}
	out, err := d.hold.next(ctx, d.mem)
	d.heldSize.Store(d.hold.bytes())
	return sdk.Result{Out: out}, err
}

// MemoryHeld reports the bytes of rows and keys held.
func (d *dedupe) MemoryHeld() int64 { return d.heldSize.Load() }

func (d *dedupe) Close(context.Context) error {
	if d.hold != nil {
		d.hold.close()
	}
	return nil
}
