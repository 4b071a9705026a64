package dynamics

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

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
