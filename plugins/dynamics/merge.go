package dynamics

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sluicedata/sluice/plugins/internal/textconv"
	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// The merge policy decides, field by field, what a row writes to the record
// it matched, given the record's current values (read by the lookup that
// found it):
//
//   - the value is the first non-empty of the field's candidates;
//   - update = "never" leaves found records' field alone; "if_empty" writes
//     only when the record's field is empty; "overwrite" always;
//   - an empty value takes the field's default when the record's field is
//     empty too (always, for a new record); otherwise empty = "skip" leaves
//     the field as it is and "write" clears it;
//   - a value equal to the record's is not sent. A row none of whose fields
//     would change is unchanged, and sends nothing.
//
// New records get every non-empty value, defaults included.

// mergeRow works out the body a row sends and the changes it makes.
func (b *matchBatch) mergeRow(r *mrow) *sdk.RowError {
	create := r.act == actCreate
	var cur map[string]any
	if !create && r.rec != nil {
		cur = r.rec.vals
	}
	body := make([]byte, 0, 64*len(r.tg.fields))
	var changes []sdk.FieldChange
	vals := map[string]any{}
	for _, f := range r.tg.fields {
		v, rerr := b.fieldValue(r, f)
		if rerr != nil {
			return rerr
		}
		curVal := cur[f.read]
		curEmpty := create || isEmptyCRM(curVal)
		if !create && (f.extra.update == updateNever || f.extra.update == updateIfEmpty && !curEmpty) {
			continue
		}
		if isEmpty(v) && f.extra.def >= 0 && curEmpty {
			if v, rerr = b.defaultValue(r, f); rerr != nil {
				return rerr
			}
		}
		var member []byte
		var after any
		switch {
		case isEmpty(v):
			if create || f.extra.empty == emptySkip || curEmpty {
				continue
			}
			member = append(slices.Clone(f.prefix), "null"...)
		case f.isLookup():
			id := v.(string)
			if !create && sameID(curVal, id) {
				continue
			}
			member = append(slices.Clone(f.prefix), valfmt.AppendJSONString(nil, "/"+f.target.EntitySetName+"("+id+")")...)
			after = id
		default:
			val, err := f.conv(nil, v)
			if err != nil {
				return rowErr(r.row, err)
			}
			if !create && sameValue(f.col, val, curVal) {
				continue
			}
			member = append(slices.Clone(f.prefix), val...)
			after = plainJSON(val)
		}
		if len(body) > 0 {
			body = append(body, ',')
		}
		body = append(body, member...)
		changes = append(changes, sdk.FieldChange{Field: f.col.LogicalName, Before: plain(curVal), After: after})
		if create {
			vals[f.read] = after
		}
	}
	if a := b.m.account; a != nil && r.tg.assoc != nil && r.acct != nil && r.acct.id != "" {
		f := r.tg.assoc
		curVal := cur[readProp(f.col)]
		if create || !sameID(curVal, r.acct.id) {
			body = appendMember(body, f.prefix)
			body = valfmt.AppendJSONString(body, "/"+a.target.t.EntitySetName+"("+r.acct.id+")")
			after := any(r.acct.id)
			if r.acct.planned {
				after = "new account (" + r.acct.label + ")"
			}
			changes = append(changes, sdk.FieldChange{Field: f.col.LogicalName, Before: plain(curVal), After: after})
			vals[readProp(f.col)] = r.acct.id
		}
	}
	r.body, r.changes = body, changes
	if create && b.dry {
		r.vals = vals
	}
	if !create && len(changes) == 0 {
		r.act = actUnchanged
	}
	return nil
}

// fieldValue is a field's value for a row: the first non-empty of its
// candidates; for a lookup, the record's id. nil when empty.
func (b *matchBatch) fieldValue(r *mrow, f *mfield) (any, *sdk.RowError) {
	switch {
	case f.byKey != nil:
		lr := r.lookups[f.field]
		if lr.err != nil {
			return nil, lr.err
		}
		if lr.id == "" {
			return nil, nil
		}
		return lr.id, nil
	case f.isLookup():
		return guidValue(r, f, f.value)
	}
	for _, i := range f.extra.cands {
		if i >= 0 && !isEmpty(r.res[i]) {
			return r.res[i], nil
		}
	}
	return nil, nil
}

// defaultValue is a field's default for a row, or nil.
func (b *matchBatch) defaultValue(r *mrow, f *mfield) (any, *sdk.RowError) {
	if f.isLookup() {
		return guidValue(r, f, f.extra.def)
	}
	return r.res[f.extra.def], nil
}

// guidValue is program i's value as a lookup's GUID.
func guidValue(r *mrow, f *mfield, i int) (any, *sdk.RowError) {
	if i < 0 || isEmpty(r.res[i]) {
		return nil, nil
	}
	v := r.res[i]
	s, ok := v.(string)
	id, isGUID := parseGUID(s)
	if !ok || !isGUID {
		return nil, &sdk.RowError{Row: r.row, Code: codeLookup, Message: f.col.LogicalName + ": " + describeValue(v) + " is not a GUID"}
	}
	return id, nil
}

func rowErr(row int, err error) *sdk.RowError {
	code := codeValue
	if ve, ok := err.(*valueError); ok {
		code = ve.code
	}
	return &sdk.RowError{Row: row, Code: code, Message: err.Error()}
}

// isEmptyCRM reports whether a field read from Dataverse is empty.
func isEmptyCRM(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	}
	return false
}

func sameID(cur any, id string) bool {
	s, ok := cur.(string)
	return ok && strings.EqualFold(s, id)
}

// sameValue reports whether the JSON value a field would send equals the
// value Dataverse holds, as the column's type compares them.
func sameValue(c *column, sent []byte, cur any) bool {
	v, ok := decodeSent(sent)
	if !ok {
		return false
	}
	if isEmptyCRM(v) || isEmptyCRM(cur) {
		return isEmptyCRM(v) && isEmptyCRM(cur)
	}
	switch {
	case c.isMultiSelect():
		a, _ := v.(string)
		b, ok := cur.(string)
		if !ok {
			if n, isNum := cur.(json.Number); isNum {
				b = n.String()
			}
		}
		as, bs := strings.Split(a, ","), strings.Split(b, ",")
		slices.Sort(as)
		slices.Sort(bs)
		return slices.Equal(as, bs)
	case c.Type == typeDateTime:
		a, okA := v.(string)
		b, okB := cur.(string)
		if !okA || !okB {
			return false
		}
		if c.DateOnly {
			return strings.HasPrefix(b, a) || strings.HasPrefix(a, b)
		}
		ta, okA := parseTime(a)
		tb, okB := parseTime(b)
		return okA && okB && ta.Equal(tb)
	}
	switch x := v.(type) {
	case string:
		y, ok := cur.(string)
		if c.Type == typeUniqueID {
			return ok && strings.EqualFold(x, y)
		}
		return ok && x == y
	case bool:
		y, ok := cur.(bool)
		return ok && x == y
	case json.Number:
		a, errA := x.Float64()
		var b float64
		switch y := cur.(type) {
		case json.Number:
			f, err := y.Float64()
			if err != nil {
				return false
			}
			b = f
		case float64:
			b = y
		default:
			return false
		}
		return errA == nil && math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a))
	}
	return false
}

func parseTime(s string) (time.Time, bool) {
	micros, ok := textconv.ParseTimestamp([]byte(strings.TrimSpace(s)))
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMicro(micros).UTC(), true
}

// plain turns a value read from Dataverse into a plan's: string, float64,
// bool or nil.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return v
}

// plainJSON decodes a JSON value the sink sends, for a plan.
func plainJSON(b []byte) any {
	v, ok := decodeSent(b)
	if !ok {
		return string(b)
	}
	return plain(v)
}

// decodeSent decodes a JSON value a converter wrote — a string, a number,
// true, false or null — with numbers as json.Number. It is called for every
// field of every row compared with its record, so it avoids a decoder.
func decodeSent(b []byte) (any, bool) {
	switch {
	case len(b) == 0:
		return nil, false
	case b[0] == '"':
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
			return string(b[1 : len(b)-1]), true
		}
		var s string
		err := json.Unmarshal(b, &s)
		return s, err == nil
	case string(b) == "null":
		return nil, true
	case string(b) == "true":
		return true, true
	case string(b) == "false":
		return false, true
	}
	return json.Number(b), true
}
