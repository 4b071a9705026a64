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
//
// Keeping the first row returns the result as Keep, a mask of the input rows
// that pass on, and makes the transform an sdk.Projector that reads only the
// key's columns: out of process only those travel, and only the mask comes
// back. The other modes return rows they held, so they are no projection
// (Columns returns nil) and get whole batches.
package dedupe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/batches"
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

	// seen holds the keys met so far, for keep = first.
	seen map[string]struct{}

	// For the other modes: the held batches, the current winner of each key
	// and of each keyless row, and how many winners each batch still holds.
	held    []arrow.RecordBatch
	winners []winner
	byKey   map[string]int
	live    []int

	keyBytes int64
	heldSize atomic.Int64

	// flushRows lists the winning rows of each held batch once Flush has
	// started; flushNext is the next batch to emit.
	flushRows [][]int
	flushNext int
}

type winner struct {
	batch, row int
	order      any
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
	d.seen = map[string]struct{}{}
	d.byKey = map[string]int{}
	if d.cfg.Keep == "first" {
		d.reads = key.Columns()
		d.passes = make([]int, in.NumFields())
		for i := range d.passes {
			d.passes[i] = i
		}
	}
	return in, nil
}

// Columns: keeping the first row reads the key's columns and passes every
// column on; the other modes hold rows, and are no projection.
func (d *dedupe) Columns() ([]string, []int) { return d.reads, d.passes }

func (d *dedupe) Process(ctx context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	if d.cfg.Keep == "first" {
		return d.first(in)
	}
	return d.hold(in)
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
		key, ok := keyString(results[0])
		if ok {
			if _, dup := d.seen[key]; dup {
				res.Deduplicated++
				b.UnsafeAppend(false)
				return
			}
			key = strings.Clone(key)
			d.seen[key] = struct{}{}
			d.keyBytes += int64(len(key))
		}
		b.UnsafeAppend(true)
	})
	for ; next < n; next++ {
		b.UnsafeAppend(false)
	}
	d.heldSize.Store(d.keyBytes + int64(len(d.seen))*mapEntryBytes)
	res.Keep = b.NewBooleanArray()
	return res, nil
}

// hold keeps in and updates the winners; every row it collapses is counted
// now, the winners when Flush emits them.
func (d *dedupe) hold(in arrow.RecordBatch) (sdk.Result, error) {
	var res sdk.Result
	in.Retain()
	bi := len(d.held)
	d.held = append(d.held, in)
	d.live = append(d.live, 0)
	res.Rejects = d.eval.Rows(in, func(row int, results []any) {
		var order any
		if len(results) > 1 {
			order = ownValue(results[1])
		}
		w := winner{batch: bi, row: row, order: order}
		key, ok := keyString(results[0])
		if !ok {
			d.winners = append(d.winners, w)
			d.live[bi]++
			return
		}
		i, seen := d.byKey[key]
		if !seen {
			key = strings.Clone(key)
			d.keyBytes += int64(len(key))
			d.byKey[key] = len(d.winners)
			d.winners = append(d.winners, w)
			d.live[bi]++
			return
		}
		res.Deduplicated++
		if d.beats(w, d.winners[i]) {
			if prev := d.winners[i].batch; prev != bi {
				d.drop(prev)
			} else {
				d.live[bi]--
			}
			d.winners[i] = w
			d.live[bi]++
		}
	})
	if d.live[bi] == 0 {
		d.held[bi].Release()
		d.held[bi] = nil
	}
	d.updateSize()
	return res, nil
}

// beats reports whether a later row w replaces the current winner.
func (d *dedupe) beats(w, cur winner) bool {
	switch d.cfg.Keep {
	case "last":
		return true
	case "greatest":
		return compare(w.order, cur.order) > 0
	default:
		return compare(w.order, cur.order) < 0
	}
}

// drop notes that an earlier batch bi lost a winner, releasing it when it
// holds none.
func (d *dedupe) drop(bi int) {
	d.live[bi]--
	if d.live[bi] <= 0 && d.held[bi] != nil {
		d.held[bi].Release()
		d.held[bi] = nil
	}
}

func (d *dedupe) updateSize() {
	var size int64
	for _, b := range d.held {
		if b != nil {
			size += batches.Size(b)
		}
	}
	size += d.keyBytes + int64(len(d.byKey))*mapEntryBytes + int64(len(d.winners))*winnerBytes
	d.heldSize.Store(size)
}

// Rough per-entry overheads, for the memory report.
const (
	mapEntryBytes = 48
	winnerBytes   = 40
)

// Flush emits the winners, in input order, one held batch at a time, so
// that what it emits can be written and released while it goes on.
func (d *dedupe) Flush(ctx context.Context) (sdk.Result, error) {
	if d.cfg.Keep == "first" {
		return sdk.Result{}, nil
	}
	if d.flushRows == nil {
		d.flushRows = make([][]int, len(d.held))
		for _, w := range d.winners {
			d.flushRows[w.batch] = append(d.flushRows[w.batch], w.row)
		}
		d.winners, d.byKey = nil, map[string]int{}
	}
	for ; d.flushNext < len(d.held); d.flushNext++ {
		bi, rows := d.flushNext, d.flushRows[d.flushNext]
		if len(rows) == 0 {
			continue
		}
		slices.Sort(rows)
		var out arrow.RecordBatch
		if len(rows) == int(d.held[bi].NumRows()) {
			out = d.held[bi]
			out.Retain()
		} else {
			var err error
			if out, err = batches.Take(ctx, d.mem, d.held[bi], rows); err != nil {
				return sdk.Result{}, err
			}
		}
		d.held[bi].Release()
		d.held[bi] = nil
		d.flushNext++
		d.updateSize()
		return sdk.Result{Out: out}, nil
	}
	d.heldSize.Store(0)
	return sdk.Result{}, nil
}

// MemoryHeld reports the bytes of rows and keys held.
func (d *dedupe) MemoryHeld() int64 { return d.heldSize.Load() }

func (d *dedupe) Close(context.Context) error {
	for i, b := range d.held {
		if b != nil {
			b.Release()
			d.held[i] = nil
		}
	}
	return nil
}

// keyString turns a key value into a map key; ok is false for a key that
// identifies nothing (null or empty).
func keyString(v any) (string, bool) {
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

// ownValue copies a string, which may point into an Arrow buffer, so that it
// outlives the batch.
func ownValue(v any) any {
	if s, ok := v.(string); ok {
		return strings.Clone(s)
	}
	return v
}

// compare orders two values of an order expression; null is least.
func compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case int:
		if y, ok := b.(int); ok {
			return cmpOrdered(x, y)
		}
		if y, ok := b.(float64); ok {
			return cmpOrdered(float64(x), y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmpOrdered(x, y)
		}
		if y, ok := b.(int); ok {
			return cmpOrdered(x, float64(y))
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmpOrdered(boolInt(x), boolInt(y))
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func cmpOrdered[T int | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
