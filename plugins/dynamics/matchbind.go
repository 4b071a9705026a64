package dynamics

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// bind reads the definitions of the tables the match searches and writes,
// and checks every rule, mapping entry and account setting against them.
// main is the sink's table, with the mapping bound to it already.
func (m *matcher) bind(ctx context.Context, main *table, base *mapping, constants func(*rowexpr.Program) (any, bool)) (sdk.Diagnostics, error) {
	s := m.s
	m.byName = map[string]*target{}
	m.ledger = newLedger()
	var diags sdk.Diagnostics
	names := slices.Clone(m.cfg.tables(s.cfg.Table))
	createName := m.cfg.createTable(s.cfg.Table)
	if !slices.Contains(names, createName) {
		names = append(names, createName)
	}
	for i, name := range names {
		var t *table
		if name == main.LogicalName {
			t = main
		} else {
			var err error
			t, err = s.meta.table(ctx, name, true)
			if noTable, ok := err.(*errNoTable); ok {
				path := sdk.Path{"match", "tables", fmt.Sprint(i)}
				if i >= len(m.cfg.Tables) {
					path = sdk.Path{"match", "create_as"}
				}
				diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Unknown table", Detail: noTable.Error(), Path: path})
				continue
			}
			if err != nil {
				return diags, err
			}
			if err := s.meta.probeBulk(ctx, t); err != nil {
				return diags, err
			}
		}
		tg := &target{t: t, views: map[string]*writer{}}
		m.byName[name] = tg
		if slices.Contains(m.cfg.tables(s.cfg.Table), name) {
			m.tables = append(m.tables, tg)
		}
	}
	m.creates = m.byName[createName]
	for _, tg := range m.byName {
		ds, err := m.bindFields(ctx, tg, main, base, constants)
		if err != nil {
			return diags, err
		}
		diags = append(diags, ds...)
	}
	diags = append(diags, m.bindRules(ctx, m.rules, m.tables)...)
	if m.account != nil {
		ds, err := m.account.bind(ctx, m)
		if err != nil {
			return diags, err
		}
		diags = append(diags, ds...)
	}
	if m.cfg.OnNone == onNoneCreate || m.cfg.OnMatch == onMatchCreate {
		diags = append(diags, m.requiredForCreate(m.creates)...)
	}
	for _, tg := range m.byName {
		tg.plan()
	}
	for _, r := range m.rules {
		for _, b := range r.binds {
			b.addColumns()
		}
	}
	if m.account != nil && m.account.target != nil {
		m.account.target.plan()
		for _, r := range m.account.allRules() {
			for _, b := range r.binds {
				b.addColumns()
			}
		}
	}
	return diags, nil
}

// bindFields binds the mapping to a table. On the sink's own table its
// mistakes are errors (reported by the mapping's own bind); on the other
// tables searched, a column the table lacks is left out of its records,
// with a warning.
func (m *matcher) bindFields(ctx context.Context, tg *target, main *table, base *mapping, constants func(*rowexpr.Program) (any, bool)) (sdk.Diagnostics, error) {
	var diags sdk.Diagnostics
	if tg.t == main {
		for _, f := range base.fields {
			if f.col == nil {
				continue // its mistake is reported by the mapping's bind
			}
			tg.fields = append(tg.fields, &mfield{field: f, extra: m.extras[f.spec], read: readProp(f.col)})
		}
		if m.withKey && !base.key.primary {
			for i, p := range base.key.parts {
				if p.col == nil || p.col.isLookup() || i >= len(base.keyIdx) {
					continue
				}
				conv := converterFor(p.col)
				if conv == nil {
					continue
				}
				f := &field{spec: &fieldSpec{Column: p.name, Path: sdk.Path{"key", p.name}}, col: p.col, conv: conv,
					value: base.keyIdx[i], prefix: append(valfmt.AppendJSONString(nil, p.col.LogicalName), ':')}
				tg.fields = append(tg.fields, &mfield{field: f, read: p.col.LogicalName,
					extra: &fieldExtra{cands: []int{f.value}, def: -1, update: updateNever, empty: emptySkip}})
			}
		}
		return m.checkExtras(tg), nil
	}
	targets, err := m.s.targetTables(ctx, tg.t, base.fields)
	if err != nil {
		return nil, err
	}
	local := &mapping{op: opUpsert, key: &keySpec{}, programs: base.programs, targetSets: map[string]string{}}
	for name, t := range targets {
		local.targetSets[name] = t.EntitySetName
	}
	var skipped []string
	for _, bf := range base.fields {
		f := &field{spec: bf.spec, value: bf.value, by: bf.by}
		if bf.byKey != nil {
			f.byKey = &keySpec{parts: slices.Clone(bf.byKey.parts)}
		}
		if tg.t.Columns[bf.spec.Column] == nil {
			skipped = append(skipped, bf.spec.Column)
			continue
		}
		if ds := local.bindField(tg.t, f, targets, constants); ds.HasErrors() {
			for _, d := range ds {
				if d.Severity == sdk.Error {
					d.Detail = fmt.Sprintf("On %s records, which match.tables searches: %s", tg.t.LogicalName, d.Detail)
					diags = append(diags, d)
				}
			}
			continue
		}
		tg.fields = append(tg.fields, &mfield{field: f, extra: m.extras[bf.spec], read: readProp(f.col)})
	}
	if len(skipped) > 0 {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "Columns not written to " + tg.t.LogicalName,
			Detail: fmt.Sprintf("%s has no column %s: records of %s that rows match get the other columns only.", tg.t.LogicalName, strings.Join(skipped, ", "), tg.t.LogicalName),
			Path:   sdk.Path{"match", "tables"}})
	}
	return append(diags, m.checkExtras(tg)...), nil
}

// checkExtras checks the types of a table's fields' other candidates and
// defaults.
func (m *matcher) checkExtras(tg *target) sdk.Diagnostics {
	var diags sdk.Diagnostics
	for _, f := range tg.fields {
		progs := slices.Clone(f.extra.cands)
		if len(progs) > 0 {
			progs = progs[1:] // the first is the mapping's, checked already
		}
		if f.extra.def >= 0 && !f.isLookup() {
			progs = append(progs, f.extra.def)
		}
		for _, i := range progs {
			if i < 0 {
				continue
			}
			p := m.programs[i]
			diags = append(diags, checkType(f.col, p, p.Expr().Path)...)
		}
	}
	return diags
}

// readProp is the property a column's current value is read from.
func readProp(c *column) string {
	if c.isLookup() {
		return "_" + c.LogicalName + "_value"
	}
	return c.LogicalName
}

// targetTables reads the definitions of the tables the mapping's lookups
// point to from table t.
func (s *Sink) targetTables(ctx context.Context, t *table, fields []*field) (map[string]*table, error) {
	out := map[string]*table{}
	for _, f := range fields {
		names := []string{f.spec.Lookup}
		if f.spec.Lookup == "" {
			c := t.Columns[f.spec.Column]
			if c == nil || !c.isLookup() {
				continue
			}
			names = c.Targets
		}
		for _, name := range names {
			if _, ok := out[name]; ok {
				continue
			}
			tt, err := s.meta.table(ctx, name, false)
			if _, ok := err.(*errNoTable); ok {
				continue
			}
			if err != nil {
				return nil, err
			}
			out[name] = tt
		}
	}
	return out, nil
}

// bindRules binds rules to the tables they search.
func (m *matcher) bindRules(ctx context.Context, rules []*rule, tables []*target) sdk.Diagnostics {
	var diags sdk.Diagnostics
	for _, r := range rules {
		for _, tg := range tables {
			if !r.searches(tg.t.LogicalName) {
				continue
			}
			b, ds := m.bindRule(ctx, r, tg)
			diags = append(diags, ds...)
			if b != nil {
				r.binds[tg] = b
				r.order = append(r.order, b)
			}
		}
	}
	return diags
}

// bindRule checks a rule's columns against a table.
func (m *matcher) bindRule(ctx context.Context, r *rule, tg *target) (*ruleBind, sdk.Diagnostics) {
	var diags sdk.Diagnostics
	b := &ruleBind{rule: r, t: tg}
	for i, name := range r.cols {
		path := r.equalsAt.Child(name)
		p := rulePart{name: name, prop: name}
		t := tg.t
		colName := name
		if nav, col, ok := strings.Cut(name, "/"); ok {
			rt, d := m.relatedTable(ctx, tg.t, nav, path)
			if d != nil {
				diags = append(diags, *d)
				continue
			}
			p.nav, p.navCol, t, colName = nav, col, rt, col
		}
		c := t.Columns[colName]
		if c == nil {
			ds := unknownColumn(t, colName, path, "match")
			for j := range ds {
				ds[j].Detail = fmt.Sprintf("%s searches %s: %s", r.what(), tg.t.LogicalName, ds[j].Detail)
			}
			diags = append(diags, ds...)
			continue
		}
		p.col = c
		switch {
		case c.isLookup() && p.nav != "":
			diags = append(diags, sdk.Errorf(path, "%s is a lookup of the related table; compare one of its text columns", name)...)
			continue
		case c.isLookup():
			p.prop, p.guid = "_"+c.LogicalName+"_value", true
		case c.Type == typeUniqueID:
			p.guid = true
		case c.Type == typeString || c.Type == typeMemo || c.Type == typeInteger || c.Type == typeBigInt || c.hasOptions() && !c.isMultiSelect():
		default:
			diags = append(diags, sdk.Errorf(path, "rules compare text, whole numbers, choices, lookups and ids; %s.%s is %s", t.LogicalName, c.LogicalName, c.typeLabel())...)
			continue
		}
		if r.compare == compareDomain && (p.guid || c.Type != typeString && c.Type != typeMemo) {
			diags = append(diags, sdk.Errorf(r.path.Child("compare"), "compare = \"domain\" needs a text column holding a web address; %s is %s", name, c.typeLabel())...)
			continue
		}
		if r.compare == compareExact && c.Type != typeString && c.Type != typeMemo {
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "compare has no effect",
				Detail: fmt.Sprintf("exact and case_insensitive differ for text only; %s is %s.", name, c.typeLabel()), Path: r.path.Child("compare")})
		}
		if i < len(r.progs) && r.progs[i] >= 0 {
			diags = append(diags, m.checkRuleType(p, m.programs[r.progs[i]])...)
		}
		b.parts = append(b.parts, p)
	}
	if len(b.parts) != len(r.cols) {
		return nil, diags
	}
	return b, diags
}

// checkRuleType reports an expression whose values cannot equal a rule
// column's.
func (m *matcher) checkRuleType(p rulePart, prog *rowexpr.Program) sdk.Diagnostics {
	t := prog.Type()
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	ok := false
	switch {
	case p.guid:
		ok = t == goString
	case p.col.Type == typeInteger || p.col.Type == typeBigInt:
		ok = t == goInt
	case p.col.hasOptions():
		ok = t == goInt || t == goString
	default:
		ok = t == goString
	}
	if ok {
		return nil
	}
	want := "text"
	switch {
	case p.guid:
		want = "a GUID in text"
	case p.col.Type == typeInteger || p.col.Type == typeBigInt:
		want = "a whole number"
	case p.col.hasOptions():
		want = "an option label or value"
	}
	return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Type mismatch",
		Detail: fmt.Sprintf("%s holds %s; the expression gives %s.", p.name, want, goTypeName(t)),
		Path:   prog.Expr().Path}}
}

// relatedTable resolves the navigation property of a related column.
func (m *matcher) relatedTable(ctx context.Context, t *table, nav string, path sdk.Path) (*table, *sdk.Diagnostic) {
	for _, c := range t.Columns {
		for target, n := range c.Navigation {
			if n != nav {
				continue
			}
			rt, err := m.s.meta.table(ctx, target, false)
			if err != nil {
				return nil, &sdk.Diagnostic{Severity: sdk.Error, Summary: "Unknown related table", Detail: err.Error(), Path: path}
			}
			return rt, nil
		}
	}
	var navs []string
	for _, c := range t.Columns {
		for _, n := range c.Navigation {
			navs = append(navs, n)
		}
	}
	sort.Strings(navs)
	detail := fmt.Sprintf("%s has no navigation property %q.", t.LogicalName, nav)
	if best := closest(nav, navs); best != "" {
		detail += fmt.Sprintf(" Did you mean %q?", best)
	}
	return nil, &sdk.Diagnostic{Severity: sdk.Error, Summary: "Unknown navigation property", Detail: detail, Path: path}
}

// requiredForCreate reports required columns of the table rows that match
// nothing create records in, when the mapping does not set them.
func (m *matcher) requiredForCreate(tg *target) sdk.Diagnostics {
	if tg == nil {
		return nil
	}
	path := sdk.Path{"match", "on_none"}
	if m.cfg.OnNone != onNoneCreate {
		path = sdk.Path{"match", "on_match"}
	}
	return m.requiredFor(tg, path, "Rows that match nothing create "+tg.t.LogicalName+" records",
		"map it (with a default for empty values: { value = \"…\", default = \"'Unknown'\" }), or set on_none = \"skip\"")
}

// requiredFor reports required columns of tg that nothing sets.
func (m *matcher) requiredFor(tg *target, path sdk.Path, what, advice string) sdk.Diagnostics {
	if tg == nil {
		return nil
	}
	set := map[string]bool{}
	for _, f := range tg.fields {
		set[f.col.LogicalName] = true
	}
	if tg.assoc != nil {
		set[tg.assoc.col.LogicalName] = true
	}
	var missing []string
	for _, name := range tg.t.columnNames() {
		c := tg.t.Columns[name]
		if (c.RequiredLevel == "ApplicationRequired" || c.RequiredLevel == "SystemRequired") && c.ValidForCreate && !set[name] &&
			name != tg.t.PrimaryID && c.Type != typeState && c.Type != typeStatus && c.Type != typeOwner && c.AttributeOf == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Required columns not mapped",
		Detail: fmt.Sprintf("%s: %s requires %s, which nothing sets; %s.", what, tg.t.LogicalName, strings.Join(missing, ", "), advice),
		Path:   path}}
}

// plan works out what lookups read of a table's records.
func (tg *target) plan() {
	sel := []string{tg.t.PrimaryID, "createdon", "modifiedon"}
	if tg.t.Columns["versionnumber"] != nil {
		sel = append(sel, "versionnumber")
	}
	add := func(p string) {
		if !slices.Contains(sel, p) {
			sel = append(sel, p)
		}
	}
	for _, f := range tg.fields {
		add(f.read)
	}
	if tg.assoc != nil {
		add(readProp(tg.assoc.col))
	}
	tg.selects = sel
	tg.expands = map[string][]string{}
}

// addRuleColumns adds what a rule bound to the table reads.
func (b *ruleBind) addColumns() {
	tg := b.t
	for _, p := range b.parts {
		switch {
		case p.nav != "":
			if !slices.Contains(tg.expands[p.nav], p.navCol) {
				tg.expands[p.nav] = append(tg.expands[p.nav], p.navCol)
			}
		case !slices.Contains(tg.selects, p.prop):
			tg.selects = append(tg.selects, p.prop)
		}
	}
}

// withoutRequiredWarning drops the mapping's warning about required columns
// it leaves out: with a match block, the match checks the table records are
// created in, and reports an error there.
func withoutRequiredWarning(diags sdk.Diagnostics) sdk.Diagnostics {
	return slices.DeleteFunc(diags, func(d sdk.Diagnostic) bool {
		return d.Severity == sdk.Warning && d.Summary == "Required columns not mapped"
	})
}
