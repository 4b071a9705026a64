package dynamics

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/rowexpr"
)

// mapping is the compiled mapping and key: every expression compiled
// against the input schema, and — once the table's definition is known —
// each column's converter, lookup navigation property and key literal form.
type mapping struct {
	op     string
	fields []*field
	key    *keySpec
	keyIdx []int // evaluator result index of each key part
	// programs are every expression, in evaluator order.
	programs []*rowexpr.Program
	// targetSets are the entity sets of lookup target tables.
	targetSets map[string]string
}

// field is one written column.
type field struct {
	spec *fieldSpec
	col  *column
	conv converter
	// prefix is `"<column>":`, or `"<nav>@odata.bind":` for a lookup by id
	// (navs holds one per target for polymorphic lookups by id).
	prefix []byte
	// value is the evaluator index of the value or id expression; by the
	// indexes of the by expressions, in byKey order.
	value int
	by    []int
	// Lookups: the target table and the key its records are found by.
	target *table
	byKey  *keySpec
}

func (f *field) isLookup() bool { return f.spec.isLookup() || f.col != nil && f.col.isLookup() }

// compile compiles every expression against the input schema. It needs no
// connection, so `sluice validate` reports expression mistakes offline.
// Expressions that do not compile get index -1, and the rest of the mapping
// can still be checked against the table, so that one pass reports every
// mistake.
func compile(op string, keys map[string]sdk.Expr, specs []*fieldSpec, schema *arrow.Schema) (*mapping, sdk.Diagnostics) {
	m := &mapping{op: op, key: &keySpec{}}
	var diags sdk.Diagnostics
	add := func(e sdk.Expr) int {
		p, err := rowexpr.Compile(e, schema)
		if err != nil {
			diags = append(diags, sdk.AsDiagnostics(err)...)
			return -1
		}
		m.programs = append(m.programs, p)
		return len(m.programs) - 1
	}
	keyCols := make([]string, 0, len(keys))
	for col := range keys {
		keyCols = append(keyCols, col)
	}
	sort.Strings(keyCols)
	for _, col := range keyCols {
		m.key.parts = append(m.key.parts, keyPart{name: col, prop: col})
		m.keyIdx = append(m.keyIdx, add(keys[col]))
	}
	for _, s := range specs {
		f := &field{spec: s, value: -1}
		switch {
		case len(s.By) > 0:
			cols := make([]string, 0, len(s.By))
			for c := range s.By {
				cols = append(cols, c)
			}
			sort.Strings(cols)
			f.byKey = &keySpec{}
			for _, c := range cols {
				f.byKey.parts = append(f.byKey.parts, keyPart{name: c, prop: c})
				f.by = append(f.by, add(s.By[c]))
			}
		case !s.ID.IsZero():
			f.value = add(s.ID)
		default:
			f.value = add(s.Value)
		}
		m.fields = append(m.fields, f)
	}
	return m, diags
}

// bind checks the mapping against the table's definition and prepares the
// converters: unknown or read-only columns, values of the wrong type,
// unknown option labels and too-long text in constants, keys that are not
// keys. targets holds the definitions of lookup target tables.
func (m *mapping) bind(t *table, targets map[string]*table, keyPath sdk.Path, constants func(*rowexpr.Program) (any, bool)) sdk.Diagnostics {
	var diags sdk.Diagnostics
	m.key.entitySet = t.EntitySetName
	diags = append(diags, m.bindKey(t, keyPath)...)
	for _, f := range m.fields {
		diags = append(diags, m.bindField(t, f, targets, constants)...)
	}
	if m.op == opCreate || m.op == opUpsert {
		diags = append(diags, m.requiredWarnings(t)...)
	}
	return diags
}

func (m *mapping) bindKey(t *table, keyPath sdk.Path) sdk.Diagnostics {
	if len(m.key.parts) == 0 {
		return nil
	}
	names := make([]string, len(m.key.parts))
	for i, p := range m.key.parts {
		names[i] = p.name
	}
	var diags sdk.Diagnostics
	for i, p := range m.key.parts {
		c := t.Columns[p.name]
		if c == nil {
			diags = append(diags, unknownColumn(t, p.name, keyPath.Child(p.name), "key")...)
			continue
		}
		m.key.parts[i].col = c
		if c.isLookup() {
			m.key.parts[i].prop = "_" + c.LogicalName + "_value"
		}
		if m.keyIdx[i] >= 0 {
			diags = append(diags, checkType(c, m.programs[m.keyIdx[i]], keyPath.Child(p.name))...)
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if len(names) == 1 && names[0] == t.PrimaryID {
		m.key.primary = true
		return diags
	}
	k := t.key(names)
	if k == nil {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Not a key of the table",
			Detail: fmt.Sprintf("%s is neither the primary id (%s) nor an alternate key of %s. %s An administrator defines alternate keys in make.powerapps.com → Tables → %s → Keys.",
				strings.Join(names, " + "), t.PrimaryID, t.LogicalName, describeKeys(t), t.SchemaName),
			Path: keyPath})
		return diags
	}
	if k.Status != "" && k.Status != "Active" {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Alternate key not active",
			Detail: fmt.Sprintf("The alternate key %s of %s has index status %s; Dataverse accepts it only once its index is Active. %s",
				k.Name, t.LogicalName, k.Status, keyStatusAdvice(k.Status)),
			Path: keyPath})
	}
	return diags
}

func keyStatusAdvice(status string) string {
	if status == "Failed" {
		return "The index could not be built, usually because existing records share a key value: remove the duplicates, then reactivate the key (Tables → Keys → Reactivate)."
	}
	return "Wait until the index is built; large tables take a while."
}

func describeKeys(t *table) string {
	if len(t.Keys) == 0 {
		return fmt.Sprintf("%s has no alternate keys.", t.LogicalName)
	}
	var ks []string
	for _, k := range t.Keys {
		ks = append(ks, strings.Join(k.Columns, " + "))
	}
	return fmt.Sprintf("Its alternate keys are: %s.", strings.Join(ks, "; "))
}

func (m *mapping) bindField(t *table, f *field, targets map[string]*table, constants func(*rowexpr.Program) (any, bool)) sdk.Diagnostics {
	s := f.spec
	c := t.Columns[s.Column]
	if c == nil {
		return unknownColumn(t, s.Column, s.Path, "mapping")
	}
	f.col = c
	var diags sdk.Diagnostics
	switch m.op {
	case opCreate:
		if !c.ValidForCreate {
			diags = append(diags, notWritable(t, c, s.Path, "set when a record is created"))
		}
	case opUpdate:
		if !c.ValidForUpdate {
			diags = append(diags, notWritable(t, c, s.Path, "changed on an existing record"))
		}
	case opUpsert:
		switch {
		case !c.ValidForCreate && !c.ValidForUpdate:
			diags = append(diags, notWritable(t, c, s.Path, "written"))
		case !c.ValidForUpdate:
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "Column set on create only",
				Detail: fmt.Sprintf("%s.%s can be set when a record is created, not changed later: upserts that update a record leave it as it is.", t.LogicalName, c.LogicalName),
				Path:   s.Path})
		case !c.ValidForCreate:
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Warning, Summary: "Column set on update only",
				Detail: fmt.Sprintf("%s.%s can be changed on existing records but not set on new ones: upserts that create a record leave it empty.", t.LogicalName, c.LogicalName),
				Path:   s.Path})
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if c.isLookup() {
		return append(diags, m.bindLookup(t, f, targets)...)
	}
	if s.isLookup() {
		return append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Not a lookup column",
			Detail: fmt.Sprintf("%s.%s is %s, not a lookup: write %s = \"<expression>\".", t.LogicalName, c.LogicalName, c.typeLabel(), c.LogicalName),
			Path:   s.Path})
	}
	f.conv = converterFor(c)
	if f.conv == nil {
		return append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Column type not supported",
			Detail: fmt.Sprintf("%s.%s has type %s, which the sink does not write.", t.LogicalName, c.LogicalName, c.Type),
			Path:   s.Path})
	}
	f.prefix = append(valfmt.AppendJSONString(nil, c.LogicalName), ':')
	if f.value < 0 {
		return diags // the expression did not compile; that is reported
	}
	p := m.programs[f.value]
	diags = append(diags, checkType(c, p, p.Expr().Path)...)
	if diags.HasErrors() {
		return diags
	}
	if v, ok := constants(p); ok && v != nil {
		if _, err := f.conv(nil, v); err != nil {
			diags = append(diags, sdk.Diagnostic{Severity: sdk.Error, Summary: "Value does not fit the column",
				Detail: err.Error(), Path: p.Expr().Path, Pos: &sdk.Pos{Line: 1, Column: 1}})
		}
	}
	return diags
}

// bindLookup resolves a lookup's navigation property and, for lookups by
// key, the target's key.
func (m *mapping) bindLookup(t *table, f *field, targets map[string]*table) sdk.Diagnostics {
	s, c := f.spec, f.col
	target := s.Lookup
	if target == "" {
		if len(c.Targets) != 1 {
			return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Lookup target needed",
				Detail: fmt.Sprintf("%s.%s can point to %s: say which, as %s = { lookup = \"%s\", id = \"<expression>\" } or with by = { … }.",
					t.LogicalName, c.LogicalName, strings.Join(c.Targets, " or "), c.LogicalName, first(c.Targets)),
				Path: s.Path}}
		}
		target = c.Targets[0]
	}
	if len(c.Targets) > 0 && !slices.Contains(c.Targets, target) {
		return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Not a target of the lookup",
			Detail: fmt.Sprintf("%s.%s points to %s, not %s.", t.LogicalName, c.LogicalName, strings.Join(c.Targets, " or "), target),
			Path:   s.Path.Child("lookup")}}
	}
	nav := c.Navigation[target]
	if nav == "" {
		return sdk.Diagnostics{{Severity: sdk.Error, Summary: "No navigation property",
			Detail: fmt.Sprintf("The definition of %s has no relationship from %s to %s, so the lookup cannot be written.", t.LogicalName, c.LogicalName, target),
			Path:   s.Path}}
	}
	tt := targets[target]
	if tt == nil {
		return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Unknown target table", Detail: fmt.Sprintf("The environment has no table %s.", target), Path: s.Path}}
	}
	f.target = tt
	f.prefix = append(valfmt.AppendJSONString(nil, nav+"@odata.bind"), ':')
	if f.byKey == nil {
		if f.value < 0 {
			return nil
		}
		p := m.programs[f.value]
		if p.Type() != nil && p.Type().Kind() != reflect.Interface && p.Type() != goString {
			return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Lookup id is not text",
				Detail: fmt.Sprintf("The id of %s must be a GUID in text, not %s.", c.LogicalName, goTypeName(p.Type())),
				Path:   p.Expr().Path}}
		}
		return nil
	}
	var diags sdk.Diagnostics
	names := make([]string, len(f.byKey.parts))
	for i, p := range f.byKey.parts {
		names[i] = p.name
		kc := tt.Columns[p.name]
		if kc == nil {
			diags = append(diags, unknownColumn(tt, p.name, s.Path.Child("by").Child(p.name), "lookup")...)
			continue
		}
		f.byKey.parts[i].col = kc
		if kc.isLookup() {
			f.byKey.parts[i].prop = "_" + kc.LogicalName + "_value"
		}
	}
	if diags.HasErrors() {
		return diags
	}
	f.byKey.entitySet = tt.EntitySetName
	if len(names) == 1 && names[0] == tt.PrimaryID {
		f.byKey.primary = true
		return nil
	}
	if k := tt.key(names); k == nil {
		return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Not a key of the target table",
			Detail: fmt.Sprintf("A lookup finds its record by the target's primary id or an alternate key; %s is neither on %s. %s",
				strings.Join(names, " + "), tt.LogicalName, describeKeys(tt)),
			Path: s.Path.Child("by")}}
	} else if k.Status != "" && k.Status != "Active" {
		return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Alternate key not active",
			Detail: fmt.Sprintf("The alternate key %s of %s has index status %s. %s", k.Name, tt.LogicalName, k.Status, keyStatusAdvice(k.Status)),
			Path:   s.Path.Child("by")}}
	}
	return nil
}

// checkType reports an expression whose type cannot go into column c.
func checkType(c *column, p *rowexpr.Program, path sdk.Path) sdk.Diagnostics {
	if c.isLookup() {
		return nil
	}
	ok, hint := accepts(c, p.Type())
	if ok {
		return nil
	}
	if hint == "" {
		hint = "the sink cannot write it"
	}
	return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Type mismatch",
		Detail: fmt.Sprintf("%s is %s; the expression gives %s: %s.", c.LogicalName, c.typeLabel(), goTypeName(p.Type()), hint),
		Path:   path}}
}

func notWritable(t *table, c *column, path sdk.Path, what string) sdk.Diagnostic {
	detail := fmt.Sprintf("%s.%s cannot be %s", t.LogicalName, c.LogicalName, what)
	if c.AttributeOf != "" {
		detail += fmt.Sprintf("; Dataverse computes it from %s", c.AttributeOf)
	}
	return sdk.Diagnostic{Severity: sdk.Error, Summary: "Column is read-only", Detail: detail + ".", Path: path}
}

// unknownColumn reports a column the table does not have, with the closest
// name, or the lookup a navigation property name belongs to.
func unknownColumn(t *table, name string, path sdk.Path, where string) sdk.Diagnostics {
	detail := fmt.Sprintf("%s has no column %q.", t.LogicalName, name)
	for _, c := range t.Columns {
		for target, nav := range c.Navigation {
			if strings.EqualFold(nav, name) || strings.EqualFold("_"+c.LogicalName+"_value", name) {
				detail += fmt.Sprintf(" %s is the navigation property of the lookup %s; write %s = { lookup = \"%s\", by = { … } } or id = \"…\".",
					name, c.LogicalName, c.LogicalName, target)
				return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Unknown column", Detail: detail, Path: path}}
			}
		}
	}
	if best := closest(name, t.columnNames()); best != "" {
		detail += fmt.Sprintf(" Did you mean %q?", best)
	} else if where == "mapping" {
		detail += " Column names are logical names, in lower case (such as emailaddress1, not \"Email\")."
	}
	return sdk.Diagnostics{{Severity: sdk.Error, Summary: "Unknown column", Detail: detail, Path: path}}
}

// requiredWarnings warns of required columns the mapping leaves out, which
// new records would lack.
func (m *mapping) requiredWarnings(t *table) sdk.Diagnostics {
	var missing []string
	mapped := map[string]bool{}
	for _, f := range m.fields {
		mapped[f.spec.Column] = true
	}
	for _, p := range m.key.parts {
		mapped[p.name] = true
	}
	for _, name := range t.columnNames() {
		c := t.Columns[name]
		if (c.RequiredLevel == "ApplicationRequired" || c.RequiredLevel == "SystemRequired") && c.ValidForCreate &&
			!mapped[name] && name != t.PrimaryID && c.Type != typeState && c.Type != typeStatus && c.Type != typeOwner && c.AttributeOf == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return sdk.Diagnostics{{Severity: sdk.Warning, Summary: "Required columns not mapped",
		Detail: fmt.Sprintf("%s requires %s; records the sink creates will lack them (the Web API accepts that for business-required columns, but forms will ask for them).", t.LogicalName, strings.Join(missing, ", ")),
		Path:   sdk.Path{"mapping"}}}
}

// closest returns the candidate within a small edit distance of name.
func closest(name string, candidates []string) string {
	best, bestDist := "", 4
	for _, c := range candidates {
		if d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(c), nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// constantEvaluator evaluates expressions that read no column, once, so that
// their values are checked at Open.
func constantEvaluator(schema *arrow.Schema, mem memory.Allocator) func(*rowexpr.Program) (any, bool) {
	return func(p *rowexpr.Program) (any, bool) {
		if len(p.Columns()) > 0 || strings.Contains(p.Expr().Text, "$env") {
			return nil, false
		}
		cols := make([]arrow.Array, schema.NumFields())
		for i, f := range schema.Fields() {
			cols[i] = array.MakeArrayOfNull(mem, f.Type, 1)
		}
		rec := array.NewRecordBatch(schema, cols, 1)
		for _, c := range cols {
			c.Release()
		}
		defer rec.Release()
		var out any
		var ok bool
		errs := rowexpr.NewEvaluator(p).Rows(rec, func(_ int, res []any) { out, ok = res[0], true })
		if len(errs) > 0 {
			return nil, false
		}
		return out, ok
	}
}
