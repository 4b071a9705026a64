package dynamics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// TestMapping writes one row as a new record, reads the record back,
// deletes it, and reports, field by field, what was sent and what was
// stored — the way ZoomInfo's "Test and Save" checks a mapping before
// anything is synced. A field a plug-in rewrites, a number rounded to the
// column's precision, a value the service ignores: each shows as a field
// that did not round-trip. The row's record is created whatever the match
// rules would find (it is a test record), with the values a new record
// would get; the engine gives the first row the sink's plan would create,
// so that the test record takes no existing record's key. An account the
// row would create is not created, and its association not tested. It
// implements sdk.MappingTester for `sluice test-mapping`.
func (s *Sink) TestMapping(ctx context.Context, row arrow.RecordBatch) (test sdk.MappingTest, err error) {
	if s.client == nil || s.table == nil {
		return sdk.MappingTest{}, errors.New("dynamics sink: TestMapping before an online Open")
	}
	m := s.match
	if m == nil {
		if m, err = s.keyedMatch(ctx); err != nil {
			return sdk.MappingTest{}, fmt.Errorf("the mapping cannot be tested: %w", err)
		}
	}
	b := &matchBatch{m: m, dry: true}
	b.evaluate(row)
	r := b.rows[0]
	if r.act == actReject {
		return sdk.MappingTest{}, fmt.Errorf("the row cannot be written: %s (%s)", r.reason, r.code)
	}
	r.act, r.tg = actCreate, m.creates
	test.Table = r.tg.t.LogicalName
	if a := m.account; a != nil && r.tg.assoc != nil {
		note, err := b.testAccount(ctx, r)
		if err != nil {
			return test, err
		}
		if note != "" {
			test.Notes = append(test.Notes, note)
		}
	}
	if err := b.resolveLookups(ctx); err != nil {
		return test, err
	}
	if rerr := b.mergeRow(r); rerr != nil {
		return test, fmt.Errorf("the row cannot be written: %s (%s)", rerr.Message, rerr.Code)
	}
	if r.act != actCreate || len(r.changes) == 0 {
		return test, errors.New("the row sets no field: there is nothing to test")
	}

	view := m.view(r.tg, opCreate)
	id := newID()
	out := &outcome{}
	if err := view.sendBatch(ctx, []*item{{row: 0, id: id, newByID: true, fields: r.body, existed: -1}}, out); err != nil {
		return test, err
	}
	if len(out.rejects) > 0 {
		e := out.rejects[0]
		msg := fmt.Sprintf("creating the test record failed: %s (%s)", e.Message, e.Code)
		if e.Code == codeDuplicateKey {
			msg += "; the row's key belongs to an existing record, which the sink's lookups do not find, and the test creates a new record: test with a row whose key is new, or match by that key"
		}
		return test, errors.New(msg)
	}
	test.Record = id
	defer func() {
		_, _, derr := s.send(context.WithoutCancel(ctx), &request{method: http.MethodDelete, path: r.tg.t.EntitySetName + "(" + id + ")", write: true})
		if derr != nil {
			test.Cleanup = fmt.Sprintf("the test record %s %s could not be deleted: %v; delete it by hand", r.tg.t.LogicalName, id, derr)
			return
		}
		test.Removed, test.Cleanup = true, "deleted"
	}()

	fields := map[string]*mfield{}
	var sel []string
	for _, f := range r.tg.fields {
		fields[f.col.LogicalName] = f
	}
	if r.tg.assoc != nil {
		fields[r.tg.assoc.col.LogicalName] = &mfield{field: r.tg.assoc, read: readProp(r.tg.assoc.col)}
	}
	for _, c := range r.changes {
		sel = append(sel, fields[c.Field].read)
	}
	resp, err := s.get(ctx, r.tg.t.EntitySetName+"("+id+")?$select="+strings.Join(sel, ","))
	if err != nil {
		return test, fmt.Errorf("reading the test record back: %w", err)
	}
	var stored map[string]any
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.UseNumber()
	if err := dec.Decode(&stored); err != nil {
		return test, fmt.Errorf("reading the test record back: %w", err)
	}
	for _, c := range r.changes {
		f := fields[c.Field]
		got := stored[f.read]
		ft := sdk.FieldRoundTrip{Field: c.Field, Sent: c.After, Stored: plain(got)}
		if f.isLookup() {
			ft.OK = sameID(got, fmt.Sprint(c.After))
		} else {
			sent, _ := json.Marshal(c.After)
			ft.OK = sameValue(f.col, sent, got)
		}
		if !ft.OK {
			ft.Note = roundTripNote(f.col, c.After, got)
		}
		test.Fields = append(test.Fields, ft)
	}
	return test, nil
}

// testAccount settles a test row's account by lookup only — by the block's
// rules, else the default account of on_none = "default": a mapping test
// creates no account.
func (b *matchBatch) testAccount(ctx context.Context, r *mrow) (string, error) {
	a := b.m.account
	col := r.tg.assoc.col.LogicalName
	hits, err := b.m.search(ctx, a.rules, []*target{a.target}, searchRules, []*mrow{r})
	if err != nil {
		return "", err
	}
	switch h := hits[r]; {
	case h == nil && a.cfg.OnNone == onNoneDefault:
		if len(b.defaultKeys([]*mrow{r})) == 0 {
			why := r.reason
			r.act, r.code, r.reason = actCreate, "", ""
			return fmt.Sprintf("%s is not tested: %s", col, why), nil
		}
		def, err := b.m.search(ctx, []*rule{a.def}, []*target{a.target}, searchRules, []*mrow{r})
		if err != nil {
			return "", err
		}
		id, _, problem := b.defaultAccount(r, def[r])
		if problem != "" {
			return fmt.Sprintf("%s is not tested: %s, and %s", col, b.noAccount(r), problem), nil
		}
		if id != "" {
			r.acct = &acctResult{id: id}
		}
	case h == nil && len(b.accountIdentities(r)) == 0:
		return "", nil
	case h == nil:
		return fmt.Sprintf("%s is not tested: no account matches %s, and a test creates none", col, b.accountLabel(r)), nil
	case h.err != nil:
		return fmt.Sprintf("%s is not tested: looking up the account failed: %s", col, rowMessage(h.err)), nil
	case len(h.cands) == 1:
		r.acct = &acctResult{id: h.cands[0].id}
	default:
		rec, _ := choose(h.cands, a.cfg.OnMultiple)
		if rec == nil {
			return fmt.Sprintf("%s is not tested: %d accounts match %s and on_multiple = \"reject\"", col, len(h.cands), b.accountLabel(r)), nil
		}
		r.acct = &acctResult{id: rec.id}
	}
	return "", nil
}

// roundTripNote guesses why a field was stored differently.
func roundTripNote(c *column, sent, stored any) string {
	switch {
	case stored == nil:
		return "not stored: the service ignored the value, or a plug-in cleared it"
	case c.Type == typeDecimal || c.Type == typeDouble || c.Type == typeMoney:
		return "rounded: the column keeps fewer decimals"
	case c.Type == typeDateTime:
		return "another date or time: the column's behaviour (date only, user local) changed it"
	}
	if s, ok := sent.(string); ok {
		if g, ok := stored.(string); ok {
			switch {
			case strings.EqualFold(s, g):
				return "stored in another case: a plug-in or a business rule changed it"
			case strings.TrimSpace(s) == g:
				return "stored without its surrounding spaces"
			case strings.HasPrefix(s, g):
				return "cut short"
			}
		}
	}
	return "stored differently: a plug-in, a business rule or a default changed it"
}
