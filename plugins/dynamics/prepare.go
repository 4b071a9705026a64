package dynamics

import (
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/uuid"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// item is one row on its way to Dataverse.
type item struct {
	row int // index in the Write's batch
	key *rowKey
	// id is the record's primary id when the row addresses it by id: the key
	// is the primary id, the id was looked up, or the sink chose it for a
	// new record.
	id string
	// newByID says the record is addressed by an id the sink chose, so the
	// body must carry the key columns.
	newByID bool
	// fields are the JSON members to write, comma-separated, without braces.
	fields []byte
	// pending are lookups by key whose values cannot go into a URL: they are
	// looked up by query before the row is sent.
	pending []pendingBind
	// existed says, for count_created, whether the record was there before:
	// -1 unknown.
	existed int8
	// ambiguous: an earlier attempt may have been carried out.
	ambiguous bool
}

type pendingBind struct {
	f   *field
	key *rowKey
}

// evaluators are reused across Writes; an Evaluator is not safe for
// concurrent use, so each Write takes its own.
type evaluatorPool struct {
	programs []*rowexpr.Program
	pool     sync.Pool
}

func (p *evaluatorPool) get() *rowexpr.Evaluator {
	if ev, ok := p.pool.Get().(*rowexpr.Evaluator); ok {
		return ev
	}
	return rowexpr.NewEvaluator(p.programs...)
}

func (p *evaluatorPool) put(ev *rowexpr.Evaluator) { p.pool.Put(ev) }

// prepare evaluates the mapping on every row and builds the rows' items.
// Rows whose values do not fit are rejected here, before anything is sent.
func (s *Sink) prepare(rec arrow.RecordBatch, out *outcome) []*item {
	m := s.mapping
	ev := s.evaluators.get()
	defer s.evaluators.put(ev)
	items := make([]*item, 0, rec.NumRows())
	keyVals := make([]any, len(m.key.parts))
	byVals := make([]any, 0, 4)
	evalErrs := ev.Rows(rec, func(row int, res []any) {
		it := &item{row: row, existed: -1}
		if len(m.key.parts) > 0 {
			for i, idx := range m.keyIdx {
				keyVals[i] = res[idx]
			}
			rk, err := m.key.build(keyVals)
			if err != nil {
				out.rejectValue(row, err)
				return
			}
			it.key = rk
			if m.key.primary {
				it.id = rk.vals[0].(string)
			}
		}
		if m.op == opCreate {
			it.id, it.newByID = newID(), true
		}
		buf := make([]byte, 0, 64*len(m.fields))
		for _, f := range m.fields {
			var err error
			if f.byKey != nil {
				byVals = byVals[:0]
				null := false
				for _, idx := range f.by {
					byVals = append(byVals, res[idx])
					null = null || res[idx] == nil
				}
				if null {
					buf = m.appendNullLookup(buf, f)
					continue
				}
				var rk *rowKey
				rk, err = f.byKey.build(byVals)
				if err == nil && !rk.urlSafe {
					it.pending = append(it.pending, pendingBind{f: f, key: rk})
					continue
				}
				if err == nil {
					buf = appendMember(buf, f.prefix)
					buf = valfmt.AppendJSONString(buf, "/"+f.target.EntitySetName+"("+f.byKey.predicate(rk, false)+")")
				}
			} else if f.isLookup() {
				v := res[f.value]
				if v == nil {
					buf = m.appendNullLookup(buf, f)
					continue
				}
				str, ok := v.(string)
				id, isGUID := parseGUID(str)
				if !ok || !isGUID {
					err = valueErrorf(codeLookup, "%s: %s is not a GUID", f.spec.Column, describeValue(v))
				} else {
					buf = appendMember(buf, f.prefix)
					buf = valfmt.AppendJSONString(buf, "/"+f.target.EntitySetName+"("+id+")")
				}
			} else {
				v := res[f.value]
				buf = appendMember(buf, f.prefix)
				if v == nil {
					buf = append(buf, "null"...)
				} else {
					buf, err = f.conv(buf, v)
				}
			}
			if err != nil {
				out.rejectValue(row, err)
				return
			}
		}
		it.fields = buf
		items = append(items, it)
	})
	for _, e := range evalErrs {
		out.reject(e.Row, e.Code, e.Message)
	}
	return items
}

// appendNullLookup writes a null lookup: left alone on create and upsert
// (a null bind is refused on create), cleared on update.
func (m *mapping) appendNullLookup(buf []byte, f *field) []byte {
	if m.op != opUpdate {
		return buf
	}
	buf = appendMember(buf, f.prefix)
	return append(buf, "null"...)
}

// appendMember starts a JSON member, with a comma after an earlier one.
func appendMember(buf, prefix []byte) []byte {
	if len(buf) > 0 {
		buf = append(buf, ',')
	}
	return append(buf, prefix...)
}

// keyMembers are the JSON members of a row's key columns, for a new record
// addressed by an id the sink chose.
func (m *mapping) keyMembers(rk *rowKey) ([]byte, error) {
	var buf []byte
	for i, p := range m.key.parts {
		c := p.col
		if c.isLookup() {
			if len(c.Targets) != 1 {
				return nil, valueErrorf(codeKey, "key column %s is a lookup to several tables; the sink cannot create a record whose key holds characters a URL refuses", p.name)
			}
			nav := c.Navigation[c.Targets[0]]
			buf = appendMember(buf, append(valfmt.AppendJSONString(nil, nav+"@odata.bind"), ':'))
			buf = valfmt.AppendJSONString(buf, fmt.Sprintf("/%s(%s)", m.targetSets[c.Targets[0]], rk.vals[i]))
			continue
		}
		conv := converterFor(c)
		if conv == nil {
			return nil, valueErrorf(codeKey, "key column %s has type %s, which the sink cannot write", p.name, c.Type)
		}
		buf = appendMember(buf, append(valfmt.AppendJSONString(nil, c.LogicalName), ':'))
		var err error
		if buf, err = conv(buf, rk.vals[i]); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// newID returns a new record id. Version 7 UUIDs start with the time, so
// records created together sit together in the table's clustered index, as
// the ids Dataverse generates do.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// outcome collects what happened to each row of a Write. Writes isolate
// rows concurrently, so it is safe for concurrent use.
type outcome struct {
	mu      sync.Mutex
	rejects []sdk.RowError
	res     sdk.WriteResult
}

func (o *outcome) reject(row int, code, msg string) {
	o.mu.Lock()
	o.rejects = append(o.rejects, sdk.RowError{Row: row, Code: code, Message: msg})
	o.mu.Unlock()
}

func (o *outcome) rejectValue(row int, err error) {
	code := codeValue
	if ve, ok := err.(*valueError); ok {
		code = ve.code
	}
	o.reject(row, code, err.Error())
}

func (o *outcome) add(fn func(r *sdk.WriteResult)) {
	o.mu.Lock()
	fn(&o.res)
	o.mu.Unlock()
}
