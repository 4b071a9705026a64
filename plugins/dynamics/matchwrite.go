package dynamics

import (
	"context"
	"errors"
	"sync"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// Matched rows are written by id: updates of the records they found, and
// creates with an id the sink chose — which makes every write safe to repeat
// (see write.go). They go through the sink's own write path — bulk messages
// where the table takes them, $batch otherwise, bad rows isolated — by way
// of a view of the sink per table and operation.

// view returns the sink as it writes op (create or update) to a table by
// id: the same connection, governor and options, that table's definition.
func (m *matcher) view(tg *target, op string) *writer {
	m.viewMu.Lock()
	defer m.viewMu.Unlock()
	if v := tg.views[op]; v != nil {
		return v
	}
	s := m.s
	cfg := s.cfg
	cfg.Operation, cfg.OnMissing, cfg.CountCreated, cfg.MaxRecords = op, "reject", false, 0
	cfg.Match, cfg.Merge, cfg.Account, cfg.Key = nil, nil, nil, nil
	v := &Sink{cfg: cfg, ep: s.ep, logger: s.logger, in: s.in, client: s.client, meta: s.meta, gov: s.gov,
		table: tg.t, apiPath: s.apiPath, mapping: &mapping{op: op, key: &keySpec{entitySet: tg.t.EntitySetName}}}
	v.odataType = append([]byte(`"@odata.type":`), valfmt.AppendJSONString(nil, "Microsoft.Dynamics.CRM."+tg.t.LogicalName)...)
	v.idPrefix = append(valfmt.AppendJSONString(nil, tg.t.PrimaryID), ':')
	supported := tg.t.BulkUpdate
	if op == opCreate {
		supported = tg.t.BulkCreate
	}
	v.bulk.Store(cfg.WritePath != pathBatch && supported)
	v.w = &writer{Sink: v, op: op, onMissing: cfg.OnMissing}
	tg.views[op] = v.w
	return v.w
}

// write sends the batch's creates and updates, grouped by table and
// operation, concurrently, and turns the rows the service refused into
// rejects.
func (b *matchBatch) write(ctx context.Context) error {
	type group struct {
		tg    *target
		op    string
		items []*item
	}
	var groups []*group
	index := map[*target]map[string]*group{}
	for _, r := range b.rows {
		var op string
		switch r.act {
		case actCreate:
			op = opCreate
		case actUpdate:
			op = opUpdate
		default:
			continue
		}
		if index[r.tg] == nil {
			index[r.tg] = map[string]*group{}
		}
		g := index[r.tg][op]
		if g == nil {
			g = &group{tg: r.tg, op: op}
			index[r.tg][op] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, &item{row: r.row, id: r.id, newByID: op == opCreate, fields: r.body, existed: -1})
	}
	out := &outcome{}
	var wg sync.WaitGroup
	errs := make([]error, len(groups))
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.m.view(g.tg, g.op).writeItems(ctx, g.items, out)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, e := range out.rejects {
		b.rows[e.Row].reject(e.Code, e.Message)
	}
	return nil
}

// result is the batch's outcome for the engine.
func (b *matchBatch) result() sdk.WriteResult {
	var res sdk.WriteResult
	for _, r := range b.rows {
		switch r.act {
		case actCreate:
			res.Created++
		case actUpdate:
			res.Updated++
		case actUnchanged:
			res.Unchanged++
		case actSkip:
			res.Skipped++
		case actDedup:
			res.Deduplicated++
		case actReject:
			res.Rejects = append(res.Rejects, sdk.RowError{Row: r.row, Code: r.code, Message: r.reason})
		}
	}
	return res
}

// plans are the batch's rows as a plan reports them.
func (b *matchBatch) plans() []sdk.RowPlan {
	out := make([]sdk.RowPlan, len(b.rows))
	for i, r := range b.rows {
		p := sdk.RowPlan{Row: r.row, Action: sdk.PlanAction(r.act), Label: r.label, Code: r.code, Reason: r.reason, Changes: r.changes}
		switch {
		case r.tg != nil:
			p.Table = r.tg.t.LogicalName
		case r.rec != nil:
			p.Table = r.rec.tg.t.LogicalName
		}
		switch {
		case r.act == actCreate:
		case r.rec != nil && !r.rec.planned:
			p.Record = r.rec.id
		}
		if r.rec != nil && r.rec.planned && p.Reason == "" && r.act != actCreate {
			p.Reason = "the record is " + r.rec.describe()
		}
		if r.note != "" {
			if p.Reason != "" {
				p.Reason += "; "
			}
			p.Reason += r.note
		}
		if r.acct != nil && r.acct.creates {
			p.Related = append(p.Related, sdk.RelatedPlan{Action: sdk.PlanCreate, Table: accountTable, Label: r.acct.label})
		}
		out[i] = p
	}
	return out
}
