package dynamics

import (
	"fmt"
	"strings"
)

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
				r.act, r.reason = actDedup, "collapsed into another row of the batch for the same record ("+w.label+"), "+keptBy(cfg, w.rank, r.rank)
			}
		}
		if w.act == actUpdate {
			if c := l.claims[w.id]; c != nil && (compareRank(w.rank, c.rank) > 0) != (cfg.Keep == keepLast) {
				w.act, w.reason = actDedup, fmt.Sprintf("%s was written by an earlier row of this run (%s), %s", w.rec.describe(), c.row, keptBy(cfg, c.rank, w.rank))
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

// keptBy says what chose the row written (of rank kept) over another row
// for the same record (of rank lost): order_by when their order_by values
// differ, else keep's input order.
func keptBy(cfg *MatchConfig, kept, lost rank) string {
	switch {
	case cfg.OrderBy.IsZero():
		return fmt.Sprintf("kept by keep = %q", cfg.Keep)
	case compareOrder(kept.order, lost.order) != 0:
		which := "greatest"
		if cfg.Keep == keepFirst {
			which = "least"
		}
		return fmt.Sprintf("kept by order_by = %q (keep = %q: the %s wins)", cfg.OrderBy.Text, cfg.Keep, which)
	}
	return fmt.Sprintf("kept by keep = %q: their order_by = %q is the same, so input order decides", cfg.Keep, cfg.OrderBy.Text)
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
