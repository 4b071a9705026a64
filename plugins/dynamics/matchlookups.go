package dynamics

import (
	"context"
	"fmt"
	"sync"

	"github.com/sluicedata/sluice/sdk"
)

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
