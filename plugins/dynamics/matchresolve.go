package dynamics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

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

// hit is what a lookup found for a row: the rule (on its table) that found
// records, and the records.
type hit struct {
	b     *ruleBind
	cands []*crmRecord
	err   error
}

// search looks rows up by rules on tables. by = "rules": each rule in turn
// on every table, in one step (so in one request), the first table with a
// record winning; by = "tables": each table in turn with each rule. A row
// found leaves the search; the others go on to the next step.
func (m *matcher) search(ctx context.Context, rules []*rule, tables []*target, by string, rows []*mrow) (map[*mrow]*hit, error) {
	var steps [][]*ruleBind
	if by == searchTables {
		for _, tg := range tables {
			for _, rl := range rules {
				if rb := rl.binds[tg]; rb != nil {
					steps = append(steps, []*ruleBind{rb})
				}
			}
		}
	} else {
		for _, rl := range rules {
			if len(rl.order) > 0 {
				steps = append(steps, rl.order)
			}
		}
	}
	hits := map[*mrow]*hit{}
	pending := rows
	apiLen := len(m.s.client.api)
	for _, step := range steps {
		if len(pending) == 0 {
			break
		}
		var qs []*lookupQuery
		queries := map[*ruleBind][]*lookupQuery{}
		for _, rb := range step {
			seen := map[string]bool{}
			var keys []*ruleKey
			for _, r := range pending {
				if k := r.keys[rb]; k != nil && !seen[k.canon] {
					seen[k.canon] = true
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				continue
			}
			queries[rb] = rb.queries(keys, apiLen)
			qs = append(qs, queries[rb]...)
		}
		if len(qs) == 0 {
			continue
		}
		if err := m.fetch(ctx, qs); err != nil {
			return nil, err
		}
		var next []*mrow
	rows:
		for _, r := range pending {
			for _, rb := range step {
				k := r.keys[rb]
				if k == nil {
					continue
				}
				var cands []*crmRecord
				for _, q := range queries[rb] {
					if !q.canons[k.canon] {
						continue
					}
					if q.err != nil {
						hits[r] = &hit{b: rb, err: q.err}
						continue rows
					}
					cands = append(cands, q.found[k.canon]...)
				}
				if len(cands) > 0 {
					hits[r] = &hit{b: rb, cands: uniqueRecords(cands)}
					continue rows
				}
			}
			next = append(next, r)
		}
		pending = next
	}
	return hits, nil
}

func uniqueRecords(recs []*crmRecord) []*crmRecord {
	if len(recs) < 2 {
		return recs
	}
	seen := map[string]bool{}
	out := recs[:0:0]
	for _, r := range recs {
		if !seen[r.id] {
			seen[r.id] = true
			out = append(out, r)
		}
	}
	return out
}

// choose picks one of several records as on_multiple says. Dataverse
// gives times to the second, so ties are common: records modified in the
// same second are ordered by their row version, which every write raises;
// records created in the same second by their id, which Dataverse
// generates in increasing order. With reject, choose returns nil and the
// candidates' ids.
func choose(cands []*crmRecord, policy string) (*crmRecord, string) {
	sorted := slices.Clone(cands)
	byModified := func(a, b *crmRecord) int {
		if c := a.modified.Compare(b.modified); c != 0 {
			return c
		}
		return cmp.Compare(a.version, b.version)
	}
	byCreated := func(a, b *crmRecord) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	}
	slices.SortFunc(sorted, func(a, b *crmRecord) int {
		var c int
		switch policy {
		case multipleNewestModified:
			c = -byModified(a, b)
		case multipleOldestModified:
			c = byModified(a, b)
		case multipleNewestCreated:
			c = -byCreated(a, b)
		case multipleOldestCreated:
			c = byCreated(a, b)
		}
		if c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	if policy == multipleReject {
		ids := make([]string, len(sorted))
		for i, r := range sorted {
			ids[i] = r.id
		}
		return nil, strings.Join(ids, ", ")
	}
	return sorted[0], ""
}

// decide settles what each row does, under the run's ledger: on_match for
// rows that found a record (or a record this run created), on_none for the
// others; then rows that resolve to the same record — in this batch, or
// written by an earlier batch of the run — are collapsed as match.keep
// says. It returns a channel closed once this batch may write the records
// it updates.
func (b *matchBatch) decide() <-chan struct{} {
	m := b.m
	cfg := m.cfg
	l := m.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range b.rows {
		if r.act != "" {
			continue
		}
		if r.rec == nil {
			for _, id := range r.idents {
				if rec := l.created[id]; rec != nil {
					r.rec = rec
					break
				}
			}
		}
		if r.rec == nil {
			switch cfg.OnNone {
			case onNoneCreate:
				r.act, r.tg = actCreate, m.creates
			case onNoneSkip:
				r.act, r.reason = actSkip, "no record matches (on_none = \"skip\")"
			case onNoneReject:
				r.reject(m.noneCode, "no record matches by "+b.ruleNames())
			}
			continue
		}
		what := r.rec.describe()
		switch cfg.OnMatch {
		case onMatchUpdate:
			r.act, r.tg, r.id = actUpdate, r.rec.tg, r.rec.id
		case onMatchSkip:
			r.act, r.reason = actSkip, "matches "+what+" (on_match = \"skip\")"
		case onMatchCreate:
			r.act, r.tg, r.note = actCreate, m.creates, "matches "+what+"; on_match = \"create\" creates another"
		case onMatchReject:
			r.reject(codeMatched, "matches "+what+" (on_match = \"reject\")")
		case onMatchDelete:
			r.act, r.tg, r.id = actDelete, r.rec.tg, r.rec.id
		}
	}

	// Group the rows that write the same record.
	groups := map[string][]*mrow{}
	var names []string
	add := func(key string, r *mrow) {
		if _, ok := groups[key]; !ok {
			names = append(names, key)
		}
		groups[key] = append(groups[key], r)
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		root := find(p)
		parent[x] = root
		return root
	}
	for _, r := range b.rows {
		if r.act == actCreate {
			for _, id := range r.idents[min(1, len(r.idents)):] {
				parent[find(id)] = find(r.idents[0])
			}
		}
	}
	for _, r := range b.rows {
		switch {
		case r.act == actUpdate:
			add("r:"+r.id, r)
		case r.act == actCreate && len(r.idents) > 0:
			add("n:"+find(r.idents[0]), r)
		case r.act == actCreate:
			add(fmt.Sprintf("row:%d", r.row), r)
		}
	}
	var lock []string
	for _, name := range names {
		g := groups[name]
		w := g[0]
		for _, r := range g[1:] {
			if (compareRank(r.rank, w.rank) > 0) == (cfg.Keep == keepLast) {
				w = r
			}
		}
		for _, r := range g {
			if r != w {
				r.act, r.reason = actDedup, "collapsed into another row of the batch for the same record ("+w.label+"), kept by keep = \""+cfg.Keep+"\""
			}
		}
		if w.act == actUpdate {
			if c := l.claims[w.id]; c != nil && (compareRank(w.rank, c.rank) > 0) != (cfg.Keep == keepLast) {
				w.act, w.reason = actDedup, fmt.Sprintf("%s was written by an earlier row of this run (%s), kept by keep = %q", w.rec.describe(), c.row, cfg.Keep)
				continue
			}
			w.claim = &claim{rank: w.rank, row: w.label}
			l.claims[w.id] = w.claim
			lock = append(lock, "r:"+w.id)
			continue
		}
		w.id = newID()
		w.created = &crmRecord{tg: w.tg, id: w.id, planned: true, createdBy: w.row, label: w.label}
		w.claim = &claim{rank: w.rank, row: w.label}
		l.claims[w.id] = w.claim
		for _, r := range g {
			for _, id := range r.idents {
				if l.created[id] == nil {
					l.created[id] = w.created
				}
			}
		}
	}
	release, ready := m.records.enqueue(lock)
	b.releases = append(b.releases, release)
	return ready
}

// ruleNames lists the match rules, for messages.
func (b *matchBatch) ruleNames() string {
	names := make([]string, len(b.m.rules))
	for i, r := range b.m.rules {
		names[i] = fmt.Sprintf("%q", r.name)
	}
	return strings.Join(names, ", ")
}

// describe names a record for messages.
func (rec *crmRecord) describe() string {
	if rec.planned {
		return fmt.Sprintf("the %s this run creates for %s", rec.tg.t.LogicalName, rec.label)
	}
	return rec.tg.t.LogicalName + " " + rec.id
}

// resolveLookups turns the mapping's lookups by key into ids: one query per
// lookup column and table for the batch.
func (b *matchBatch) resolveLookups(ctx context.Context) error {
	type need struct {
		rows []*mrow
		keys []*rowKey
	}
	needs := map[*field]*need{}
	var order []*field
	for _, r := range b.rows {
		if r.act != actCreate && r.act != actUpdate {
			continue
		}
		for _, f := range r.tg.fields {
			if f.byKey == nil {
				continue
			}
			if r.lookups == nil {
				r.lookups = map[*field]lookupResult{}
			}
			vals := make([]any, len(f.by))
			empty := false
			for i, idx := range f.by {
				if idx < 0 {
					empty = true
					break
				}
				vals[i] = r.res[idx]
				empty = empty || isEmpty(vals[i])
			}
			if empty {
				r.lookups[f.field] = lookupResult{}
				continue
			}
			rk, err := f.byKey.build(vals)
			if err != nil {
				r.lookups[f.field] = lookupResult{err: rowErr(r.row, err)}
				continue
			}
			n := needs[f.field]
			if n == nil {
				n = &need{}
				needs[f.field] = n
				order = append(order, f.field)
			}
			n.rows = append(n.rows, r)
			n.keys = append(n.keys, rk)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fatal error
	for _, f := range order {
		n := needs[f]
		wg.Add(1)
		go func() {
			defer wg.Done()
			found, err := b.m.s.findIDs(ctx, f.target, f.byKey, n.keys)
			if err != nil && classify(err) == failFatal {
				mu.Lock()
				fatal = b.m.s.fatal(err)
				mu.Unlock()
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for i, r := range n.rows {
				rk := n.keys[i]
				switch id, ok := found[rk.canon]; {
				case err != nil:
					r.lookups[f] = lookupResult{err: &sdk.RowError{Row: r.row, Code: errorCode(err), Message: fmt.Sprintf("%s: the %s could not be looked up: %s", f.spec.Column, f.target.LogicalName, rowMessage(err))}}
				case !ok:
					r.lookups[f] = lookupResult{err: &sdk.RowError{Row: r.row, Code: codeLookup, Message: fmt.Sprintf("%s: no %s has %s", f.spec.Column, f.target.LogicalName, describeKey(f.byKey, rk))}}
				default:
					r.lookups[f] = lookupResult{id: id}
				}
			}
		}()
	}
	wg.Wait()
	return fatal
}

// limit applies max_records to the rows about to be written.
func (b *matchBatch) limit() {
	s := b.m.s
	if s.cfg.MaxRecords <= 0 {
		return
	}
	var writes []*mrow
	for _, r := range b.rows {
		if r.act == actCreate || r.act == actUpdate {
			writes = append(writes, r)
		}
	}
	n := int64(len(writes))
	over := s.reserved.Add(n) - int64(s.cfg.MaxRecords)
	if over <= 0 {
		return
	}
	if s.warnedMax.CompareAndSwap(false, true) {
		s.logger.Warn("max_records reached: the remaining rows are skipped", "max_records", s.cfg.MaxRecords)
	}
	for _, r := range writes[max(0, n-over):] {
		r.act, r.reason = actSkip, fmt.Sprintf("beyond max_records = %d", s.cfg.MaxRecords)
	}
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
