package dynamics

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// A batch through the match, step by step (matchBatch.run):
//
//  1. evaluate: every expression on every row; each row's key for every rule
//     on every table it searches, and its identities — what makes two rows
//     the same person whatever table, one per rule.
//  2. lock identities: a batch holding a row with the identity of a row of
//     an earlier batch still in flight waits for it, so that a record that
//     batch creates is found, not created twice.
//  3. resolve: rules in order, one lookup per rule (and table) for the whole
//     batch; on_multiple picks among several records.
//  4. decide, under the run's ledger: on_match, on_none, and the collapse of
//     rows that resolve to the same record, within the batch and across the
//     run, by match.keep.
//  5. associate the parent account, resolve the mapping's lookups, merge
//     each row's fields with the record's current values.
//  6. write, grouped by table and operation, through the sink's write path,
//     holding the records' ids so that writes of one record stay in order.

// Row actions.
const (
	actCreate    = "create"
	actUpdate    = "update"
	actUnchanged = "unchanged"
	actSkip      = "skip"
	actDedup     = "deduplicated"
	actReject    = "reject"
	actDelete    = "delete"
)

// Row error codes of matching.
const (
	codeAmbiguous = "dynamics.ambiguous" // several records match and on_multiple = "reject"
	codeMatched   = "dynamics.matched"   // a record matches and on_match = "reject"
	codeNoMatch   = "dynamics.no_match"  // no record matches and on_none = "reject"
)

// mrow is one row on its way through the match.
type mrow struct {
	row    int
	res    []any
	rank   rank
	keys   map[*ruleBind]*ruleKey
	idents []string
	label  string

	via *ruleBind
	rec *crmRecord // the record it matched
	tg  *target    // the table it writes
	id  string     // the record it writes
	act string
	// code and reason explain a reject, skip or deduplication; note adds
	// to an update.
	code, reason, note string
	claim              *claim
	created            *crmRecord // the record it creates

	lookups map[*field]lookupResult
	acct    *acctResult
	body    []byte
	changes []sdk.FieldChange
	vals    map[string]any // of a record it creates, for plans
}

type lookupResult struct {
	id  string
	err *sdk.RowError
}

func (r *mrow) reject(code, msg string) { r.act, r.code, r.reason = actReject, code, msg }

// addNote adds to the note of an update or a create.
func (r *mrow) addNote(s string) {
	if r.note != "" {
		r.note += "; "
	}
	r.note += s
}

// matchBatch is one Write's (or Plan's) batch.
type matchBatch struct {
	m        *matcher
	dry      bool
	rows     []*mrow
	releases []func()
}

// run takes a batch through the match and, unless dry, writes it.
func (m *matcher) run(ctx context.Context, rec arrow.RecordBatch, dry bool) (*matchBatch, error) {
	b := &matchBatch{m: m, dry: dry}
	defer b.unlock()
	b.evaluate(rec)
	if err := b.lockIdentities(ctx); err != nil {
		return nil, err
	}
	if err := b.resolve(ctx); err != nil {
		return nil, err
	}
	ready := b.decide()
	if m.account != nil {
		if err := b.associate(ctx); err != nil {
			return nil, err
		}
	}
	if err := b.resolveLookups(ctx); err != nil {
		return nil, err
	}
	for _, r := range b.rows {
		if r.act == actCreate || r.act == actUpdate {
			if rerr := b.mergeRow(r); rerr != nil {
				r.reject(rerr.Code, rerr.Message)
			}
		}
	}
	b.limit()
	if !dry {
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if err := b.write(ctx); err != nil {
			return nil, err
		}
	}
	b.settle()
	return b, nil
}

func (b *matchBatch) unlock() {
	for _, release := range b.releases {
		release()
	}
}

// evaluate evaluates the expressions and builds the rows' keys.
func (b *matchBatch) evaluate(rec arrow.RecordBatch) {
	m := b.m
	n := int(rec.NumRows())
	b.rows = make([]*mrow, n)
	for i := range b.rows {
		b.rows[i] = &mrow{row: i, res: make([]any, len(m.programs)), keys: map[*ruleBind]*ruleKey{}}
	}
	if len(m.strict) > 0 {
		ev := m.eval.get()
		errs := ev.Rows(rec, func(row int, res []any) {
			for k, i := range m.strict {
				b.rows[row].res[i] = res[k]
			}
		})
		m.eval.put(ev)
		for _, e := range errs {
			b.rows[e.Row].reject(e.Code, e.Message)
		}
	}
	for k, i := range m.lenient {
		pool := m.evalEach[k]
		ev := pool.get()
		// A row on which the program fails keeps null.
		_ = ev.Rows(rec, func(row int, res []any) { b.rows[row].res[i] = res[0] })
		pool.put(ev)
	}
	rules := m.rules
	if m.account != nil {
		rules = append(slices.Clone(rules), m.account.rules...)
	}
	for _, r := range b.rows {
		if r.act != "" {
			continue
		}
		if m.orderBy >= 0 {
			r.rank.order = r.res[m.orderBy]
		}
		b.keysOf(r, rules)
		if m.withKey && len(m.rules) > 0 && len(r.idents) == 0 && r.act == "" {
			r.reject(codeKey, "the key is null or empty: every row needs a key to find its record")
		}
	}
}

// keysOf builds a row's keys for every rule on every table, and its
// identities.
func (b *matchBatch) keysOf(r *mrow, rules []*rule) {
	for _, rl := range rules {
		for _, rb := range rl.order {
			k, err := rb.key(r.res)
			if err != nil {
				r.reject(codeKey, err.Error())
				return
			}
			if k != nil {
				r.keys[rb] = k
			}
		}
	}
	for _, rl := range b.m.rules {
		for _, rb := range rl.order {
			if k := r.keys[rb]; k != nil {
				r.idents = append(r.idents, identity(rl, k))
				if r.label == "" {
					r.label = rb.describe(k)
				}
				break
			}
		}
	}
}

// lockIdentities waits until no earlier batch in flight holds a row with
// one of this batch's identities, and ranks the rows by arrival.
func (b *matchBatch) lockIdentities(ctx context.Context) error {
	m := b.m
	set := map[string]bool{}
	for _, r := range b.rows {
		if r.act == "" {
			for _, id := range r.idents {
				set["i:"+id] = true
			}
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m.arrivalMu.Lock()
	base := m.arrivals.Add(int64(len(b.rows))) - int64(len(b.rows))
	release, ready := m.idents.enqueue(keys)
	m.arrivalMu.Unlock()
	b.releases = append(b.releases, release)
	for _, r := range b.rows {
		r.rank.seq = base + int64(r.row)
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resolve looks the rows up, rule by rule, and picks a record for each row
// that found several.
func (b *matchBatch) resolve(ctx context.Context) error {
	m := b.m
	var pending []*mrow
	for _, r := range b.rows {
		if r.act == "" {
			pending = append(pending, r)
		}
	}
	hits, err := m.search(ctx, m.rules, m.tables, m.cfg.Search, pending)
	if err != nil {
		return err
	}
	for _, r := range pending {
		h := hits[r]
		switch {
		case h == nil:
		case h.err != nil:
			r.reject(errorCode(h.err), fmt.Sprintf("looking up by rule %q: %s", h.b.rule.name, rowMessage(h.err)))
		default:
			r.via = h.b
			r.label = h.b.describe(r.keys[h.b])
			if len(h.cands) == 1 {
				r.rec = h.cands[0]
				continue
			}
			rec, msg := choose(h.cands, m.cfg.OnMultiple)
			if rec == nil {
				r.reject(codeAmbiguous, fmt.Sprintf("rule %q finds %d %s records: %s", h.b.rule.name, len(h.cands), h.b.t.t.LogicalName, msg))
				continue
			}
			r.rec = rec
			r.note = fmt.Sprintf("rule %q finds %d %s records; on_multiple = %q chose this one", h.b.rule.name, len(h.cands), h.b.t.t.LogicalName, m.cfg.OnMultiple)
		}
	}
	return nil
}

// settle updates the ledger once the batch is written: a record that was
// not written after all is forgotten, so that later rows do not count on
// it; a record a plan would create keeps the values it would get, for the
// later rows of the plan that find it.
func (b *matchBatch) settle() {
	l := b.m.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range b.rows {
		if r.claim == nil {
			continue
		}
		if r.act == actReject || r.act == actSkip {
			if l.claims[r.id] == r.claim {
				delete(l.claims, r.id)
			}
			if r.created != nil {
				for _, id := range r.idents {
					if l.created[id] == r.created {
						delete(l.created, id)
					}
				}
			}
			continue
		}
		if r.created != nil && b.dry {
			r.created.vals = r.vals
		}
	}
}
