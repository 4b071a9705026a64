package dynamics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cespare/xxhash/v2"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// The sink is an sdk.Syncer: with a sync block, the engine sends it only new
// and changed rows, and asks it to act on the records of rows that left the
// input. It is sdk.Idempotent unless it creates: see Idempotent.
var (
	_ sdk.Syncer        = (*Sink)(nil)
	_ sdk.KeylessSyncer = (*Sink)(nil)
	_ sdk.LeaveLimiter  = (*Sink)(nil)
	_ sdk.Idempotent    = (*Sink)(nil)
)

// KeyColumns returns the input columns whose values identify a row's
// record: those the key expressions read or, with a match block, those its
// rules read. A create has no key, and returns none.
func (s *Sink) KeyColumns() []string {
	if s.mapping == nil || (s.match == nil && s.cfg.Operation == opCreate) {
		return nil
	}
	var progs []*rowexpr.Program
	if s.match != nil {
		for _, r := range s.match.rules {
			for _, i := range r.progs {
				progs = append(progs, s.match.programs[i])
			}
		}
	} else {
		for _, i := range s.mapping.keyIdx {
			if i >= 0 {
				progs = append(progs, s.mapping.programs[i])
			}
		}
	}
	seen := map[string]bool{}
	var cols []string
	for _, p := range progs {
		for _, c := range p.Columns() {
			if !seen[c] {
				seen[c] = true
				cols = append(cols, c)
			}
		}
	}
	sort.Strings(cols)
	return cols
}

// LeaveUnsupported refuses every on_leave action with a match block: its
// rules find a row's record while the row is in the input, and a row that
// left is not looked up again.
func (s *Sink) LeaveUnsupported(sdk.LeaveAction) string {
	if s.match == nil {
		return ""
	}
	return `a match block finds each row's record by its rules while the row is in the input, and does not look the records of rows that left up again. Use on_leave = "nothing" with a match block, or write by key (operation = "upsert" with key = { … }) to act on rows that leave.`
}

// KeylessReason says why a create cannot sync.
func (s *Sink) KeylessReason() string {
	if s.cfg.Operation == opCreate {
		return `operation = "create" makes a new record for every row and has no key, so a row cannot be matched with the record an earlier run wrote for it. To send only changed rows, use operation = "upsert" with a key = { <alternate key column> = "<expression>" }; otherwise remove the sync block.`
	}
	if len(s.cfg.Key) > 0 {
		return "its key expressions read no input column, so every row would address the same record."
	}
	return ""
}

// Idempotent reports whether rows written a second time — by a run that
// resumes after an interrupted one — leave the table as writing them once
// did. Upserts and updates by key set the same values again, and deletes
// find nothing the second time, so they are. Creates are not: the ids that
// make a create's retries safe are chosen afresh for every Write, so rows
// written again after a resume would be created again, as duplicates.
// With a match block, a row written again finds the record its first write
// updated by the same rules, and the record it created if a rule compares
// only columns the mapping sets; on_match = "create" creates another on
// purpose.
func (s *Sink) Idempotent() bool {
	if s.match == nil {
		return s.cfg.Operation != opCreate
	}
	if s.match.cfg.OnMatch == onMatchCreate {
		return false
	}
	if s.match.cfg.OnNone != onNoneCreate {
		return true
	}
	mapped := map[string]bool{}
	for _, f := range s.mapping.fields {
		mapped[f.spec.Column] = true
	}
	for _, r := range s.match.rules {
		if !slices.ContainsFunc(r.cols, func(c string) bool { return !mapped[c] }) {
			return true // this rule finds what a first write created
		}
	}
	return false
}

// Leave acts on the records of rows that left the input, found by the key
// expressions evaluated over keys (the KeyColumns of those rows, as the
// snapshot kept them):
//
//   - delete: DELETE by key, as operation = "delete" sends it;
//   - deactivate: statecode and statuscode set to the table's inactive state
//     and that state's default status (contact: 1 and 2), as an update;
//   - clear: every mapped column the sink may update set to null — lookups
//     through "<navigation property>@odata.bind": null — as an update. Key
//     columns, system-required columns, create-only columns and
//     statecode/statuscode are kept.
//
// Updates never create: they go by id through UpdateMultiple (the ids read
// first) where the sink writes in bulk, or as PATCH with If-Match: * in
// $batch — always $batch when a lookup is cleared, since Dataverse documents
// null binds for PATCH only. A record that no longer exists counts as done.
// A record that a row of this run's input addressed is left alone: two key
// values that Dataverse takes for one (Ann@x.com, ann@x.com) are two rows
// for the engine but one record, and the record must stay while one of them
// is in the input. Rows the service refuses are rejected, so that the
// engine tries them again next run.
func (s *Sink) Leave(ctx context.Context, keys arrow.RecordBatch, action sdk.LeaveAction) (sdk.WriteResult, error) {
	if s.client == nil || s.table == nil {
		return sdk.WriteResult{}, errors.New("dynamics sink: Leave before an online Open")
	}
	if len(s.mapping.key.parts) == 0 {
		return sdk.WriteResult{}, errors.New("dynamics sink: a create has no key to find records by")
	}
	w, body, err := s.leaveWriter(action)
	if err != nil {
		return sdk.WriteResult{}, err
	}
	rec, err := s.widen(keys)
	if err != nil {
		return sdk.WriteResult{}, err
	}
	defer rec.Release()
	out := &outcome{}
	items := s.leaveItems(rec, body, out)
	items = s.notAddressedThisRun(items, out)
	items = s.collapse(items, out)
	if len(items) > 0 && (body != nil || action == sdk.LeaveDelete) {
		canon := make([]string, len(items))
		for i, it := range items {
			canon[i] = it.key.canon
		}
		release, err := s.keys.acquire(ctx, canon)
		defer release()
		if err != nil {
			return sdk.WriteResult{}, err
		}
		if err := w.writeItems(ctx, items, out); err != nil {
			return sdk.WriteResult{}, err
		}
	}
	res := out.res
	res.Rejects = out.rejects
	slices.SortFunc(res.Rejects, func(a, b sdk.RowError) int { return a.Row - b.Row })
	return res, nil
}

// leaveWriter returns the writer of a leave action and the JSON members
// an update sends (nil for delete, and for a clear with nothing to clear).
func (s *Sink) leaveWriter(action sdk.LeaveAction) (*writer, []byte, error) {
	s.leaveOnce.Do(s.prepareLeave)
	switch action {
	case sdk.LeaveDelete:
		return &writer{Sink: s, op: opDelete, onMissing: "skip"}, nil, nil
	case sdk.LeaveDeactivate:
		if s.deactivateErr != nil {
			return nil, nil, s.deactivateErr
		}
		return &writer{Sink: s, op: opUpdate, onMissing: "skip"}, s.deactivateBody, nil
	case sdk.LeaveClear:
		if s.warnedClear.CompareAndSwap(false, true) {
			switch {
			case s.clearBody == nil:
				s.logger.Warn("on_leave = clear: none of the mapped columns can be cleared, so records whose rows left are kept as they are", "table", s.table.LogicalName)
			case len(s.clearKept) > 0:
				s.logger.Info("on_leave = clear keeps the mapped columns that cannot be emptied (system-required, create-only, status)", "table", s.table.LogicalName, "columns", strings.Join(s.clearKept, ", "))
			}
		}
		return &writer{Sink: s, op: opUpdate, onMissing: "skip", batchOnly: s.clearsLookup}, s.clearBody, nil
	}
	return nil, nil, fmt.Errorf("dynamics sink: unknown leave action %q", action)
}

// prepareLeave works out, once, what deactivate and clear send.
func (s *Sink) prepareLeave() {
	state, status, err := inactiveState(s.table)
	if err != nil {
		s.deactivateErr = err
	} else {
		s.deactivateBody = fmt.Appendf(nil, `"statecode":%d,"statuscode":%d`, state, status)
	}
	var kept []string
	for _, f := range s.mapping.fields {
		c := f.col
		if c == nil || !c.ValidForUpdate || c.RequiredLevel == "SystemRequired" || c.Type == typeState || c.Type == typeStatus {
			kept = append(kept, f.spec.Column)
			continue
		}
		s.clearBody = appendMember(s.clearBody, f.prefix)
		s.clearBody = append(s.clearBody, "null"...)
		s.clearsLookup = s.clearsLookup || f.isLookup()
	}
	if len(kept) > 0 {
		s.clearKept = kept
	}
}

// inactiveState is the state a deactivated record gets, and its default
// status: the state whose invariant name is Inactive (its label, failing
// that), or the other state of a table with two.
func inactiveState(t *table) (state, status int, err error) {
	st := t.Columns["statecode"]
	if st == nil || st.Type != typeState {
		return 0, 0, fmt.Errorf(`on_leave = "deactivate": table %s has no statecode column, so its records cannot be deactivated; use on_leave = "delete" or "clear"`, t.LogicalName)
	}
	var pick *option
	for i, o := range st.Options {
		if strings.EqualFold(o.InvariantName, "Inactive") {
			pick = &st.Options[i]
		}
	}
	for i, o := range st.Options {
		if pick == nil && slices.ContainsFunc(o.Labels, func(l string) bool { return strings.EqualFold(l, "Inactive") }) {
			pick = &st.Options[i]
		}
	}
	if pick == nil && len(st.Options) == 2 {
		pick = &st.Options[1]
		if st.Options[1].Value == 0 {
			pick = &st.Options[0]
		}
	}
	if pick == nil {
		var names []string
		for _, o := range st.Options {
			names = append(names, fmt.Sprintf("%s (%d)", first(o.Labels), o.Value))
		}
		return 0, 0, fmt.Errorf(`on_leave = "deactivate": table %s has no Inactive state — its states are %s — so the sink cannot tell which to set; use on_leave = "delete" or "clear"`,
			t.LogicalName, strings.Join(names, ", "))
	}
	if pick.DefaultStatus != nil {
		return pick.Value, *pick.DefaultStatus, nil
	}
	if sc := t.Columns["statuscode"]; sc != nil {
		best := -1
		for _, o := range sc.Options {
			if o.State != nil && *o.State == pick.Value && (best < 0 || o.Value < best) {
				best = o.Value
			}
		}
		if best >= 0 {
			return pick.Value, best, nil
		}
	}
	return 0, 0, fmt.Errorf(`on_leave = "deactivate": the definition of table %s names no status for its %s state`, t.LogicalName, first(pick.Labels))
}

// widen gives the key columns the sink's input schema, the other columns
// null, so that the key expressions compiled against the input evaluate.
func (s *Sink) widen(keys arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := keys.NumRows()
	cols := make([]arrow.Array, s.in.NumFields())
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	for i, f := range s.in.Fields() {
		idx := keys.Schema().FieldIndices(f.Name)
		switch {
		case len(idx) == 0:
			cols[i] = array.MakeArrayOfNull(s.mem, f.Type, int(n))
		case !arrow.TypeEqual(keys.Column(idx[0]).DataType(), f.Type):
			release()
			return nil, fmt.Errorf("dynamics sink: key column %s of the rows that left is %s; the input's is %s", f.Name, keys.Column(idx[0]).DataType(), f.Type)
		default:
			cols[i] = keys.Column(idx[0])
			cols[i].Retain()
		}
	}
	rec := array.NewRecordBatch(s.in, cols, n)
	release()
	return rec, nil
}

// leaveItems evaluates the key expressions over rec and builds the items
// to act on, each sending body.
func (s *Sink) leaveItems(rec arrow.RecordBatch, body []byte, out *outcome) []*item {
	m := s.mapping
	progs := make([]*rowexpr.Program, len(m.keyIdx))
	for i, idx := range m.keyIdx {
		progs[i] = m.programs[idx]
	}
	items := make([]*item, 0, rec.NumRows())
	vals := make([]any, len(progs))
	errs := rowexpr.NewEvaluator(progs...).Rows(rec, func(row int, res []any) {
		copy(vals, res)
		rk, err := m.key.build(vals)
		if err != nil {
			out.rejectValue(row, err)
			return
		}
		it := &item{row: row, key: rk, existed: -1, fields: body[:len(body):len(body)]}
		if m.key.primary {
			it.id = rk.vals[0].(string)
		}
		items = append(items, it)
	})
	for _, e := range errs {
		out.reject(e.Row, e.Code, e.Message)
	}
	return items
}

// notAddressedThisRun drops the items whose record a row of this run's
// input addressed; they count as skipped: done, and nothing sent.
func (s *Sink) notAddressedThisRun(items []*item, out *outcome) []*item {
	var drop []*item
	for _, it := range items {
		if s.addressed.contains(it.key.canon) {
			drop = append(drop, it)
		}
	}
	if len(drop) == 0 {
		return items
	}
	s.logger.Info("rows that left the input address records that rows still in it write (their keys differ only as Dataverse ignores, such as in case): those records are kept",
		"rows", len(drop))
	out.add(func(r *sdk.WriteResult) { r.Skipped += len(drop) })
	return without(items, drop)
}

// keySet remembers the records a run's rows addressed, by a 64-bit hash
// of their canonical keys: 8 bytes a row.
type keySet struct {
	mu     sync.Mutex
	hashes []uint64
	sorted int // hashes[:sorted] is sorted
}

func (k *keySet) add(items []*item) {
	if len(items) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, it := range items {
		if it.key != nil {
			k.hashes = append(k.hashes, xxhash.Sum64String(it.key.canon))
		}
	}
}

func (k *keySet) contains(canon string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.sorted < len(k.hashes) {
		slices.Sort(k.hashes)
		k.hashes = slices.Compact(k.hashes)
		k.sorted = len(k.hashes)
	}
	_, found := slices.BinarySearch(k.hashes, xxhash.Sum64String(canon))
	return found
}
