package emulator

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
)

// selection is what a response shows of each record: $select and $expand.
type selection struct {
	columns []*Column // nil means every column
	names   []string  // as written in $select, for @odata.context
	expands []*expandItem
}

// expandItem is one $expand entry.
type expandItem struct {
	name  string
	nav   *navProperty   // single-valued
	coll  *collectionNav // collection-valued
	sel   *selection
	query *collectionQuery // $filter/$orderby/$top inside a collection expand
}

// parseSelect parses a $select list for table t.
func parseSelect(t *Table, text string) (*selection, *apiError) {
	sel := &selection{}
	if strings.TrimSpace(text) == "" {
		return sel, nil
	}
	sel.columns = []*Column{}
	for _, name := range strings.Split(text, ",") {
		name = strings.TrimSpace(name)
		if name == "*" {
			sel.columns = nil
			sel.names = nil
			return sel, nil
		}
		c, ok := t.byName[name]
		if ok && c.Type.isLookup() {
			ok = false
		}
		if !ok {
			c, ok = t.lookupByVal[name]
		}
		if !ok {
			return nil, errPropertyNotFound(name, t.LogicalName)
		}
		sel.columns = append(sel.columns, c)
		sel.names = append(sel.names, name)
	}
	return sel, nil
}

// parseExpand parses a $expand list and adds it to sel.
func (s *Server) parseExpand(t *Table, text string, sel *selection) *apiError {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	items := splitTopLevel(text, ',')
	if len(items) > 15 {
		return errBadRequest(codeInvalidQuery, "The number of $expand options exceeds the limit of 15.")
	}
	for _, item := range items {
		item = strings.TrimSpace(item)
		name, opts := item, ""
		if i := strings.IndexByte(item, '('); i >= 0 && strings.HasSuffix(item, ")") {
			name, opts = item[:i], item[i+1:len(item)-1]
		}
		if strings.HasSuffix(name, "/$ref") {
			return errBadRequest(codeInvalidQuery, "Expand with $ref is not supported by the emulator.")
		}
		ex := &expandItem{name: name}
		var related *Table
		if nav, ok := t.navs[name]; ok {
			ex.nav = nav
			if len(nav.Targets) == 1 {
				related = s.schema.byName[nav.Targets[0]]
			}
		} else if coll, ok := t.collections[name]; ok {
			ex.coll = coll
			related = coll.Referencing
		} else {
			return errPropertyNotFound(name, t.LogicalName)
		}
		ex.sel = &selection{}
		for _, opt := range splitTopLevel(opts, ';') {
			opt = strings.TrimSpace(opt)
			if opt == "" {
				continue
			}
			key, val, _ := strings.Cut(opt, "=")
			switch key {
			case "$select":
				if related == nil {
					// polymorphic single-valued (ownerid): select is checked against each target when writing
					ex.sel.names = strings.Split(val, ",")
					continue
				}
				sub, err := parseSelect(related, val)
				if err != nil {
					return err
				}
				ex.sel = sub
			case "$filter", "$orderby", "$top":
				if ex.coll == nil {
					return errBadRequest(codeInvalidQuery, "Query option '%s' is not allowed in the $expand of the single-valued navigation property '%s'.", key, name)
				}
				if ex.query == nil {
					ex.query = &collectionQuery{}
				}
				switch key {
				case "$filter":
					f, err := parseFilter(val, nil)
					if err != nil {
						return err
					}
					if err := checkFilterColumns(related, f); err != nil {
						return err
					}
					ex.query.filter = f
				case "$orderby":
					ob, err := parseOrderBy(related, val)
					if err != nil {
						return err
					}
					ex.query.orderBy = ob
				case "$top":
					n, err := strconv.Atoi(val)
					if err != nil || n < 0 {
						return errBadRequest(codeInvalidQuery, "Invalid value '%s' for $top.", val)
					}
					ex.query.top, ex.query.hasTop = n, true
				}
			default:
				return errBadRequest(codeInvalidQuery, "The query option '%s' is not supported inside $expand.", key)
			}
		}
		sel.expands = append(sel.expands, ex)
	}
	return nil
}

// contextSuffix is the "(a,b,nav(c))" part of @odata.context.
func (sel *selection) contextSuffix() string {
	if sel == nil || len(sel.names) == 0 && len(sel.expands) == 0 {
		return ""
	}
	parts := append([]string{}, sel.names...)
	for _, ex := range sel.expands {
		parts = append(parts, ex.name+"("+strings.Join(ex.sel.names, ",")+")")
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// annotationFilter says which instance annotations a client asked for with Prefer: odata.include-annotations.
type annotationFilter struct{ patterns []string }

func parseIncludeAnnotations(h http.Header) annotationFilter {
	var af annotationFilter
	for _, pref := range preferences(h) {
		name, val, _ := strings.Cut(pref, "=")
		if strings.TrimSpace(name) != "odata.include-annotations" {
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		for _, p := range strings.Split(val, ",") {
			if p = strings.TrimSpace(p); p != "" {
				af.patterns = append(af.patterns, p)
			}
		}
	}
	return af
}

func (af annotationFilter) wants(term string) bool {
	for _, p := range af.patterns {
		if strings.HasPrefix(p, "-") {
			continue
		}
		if p == "*" || p == term || strings.HasSuffix(p, ".*") && strings.HasPrefix(term, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

func (af annotationFilter) any() bool { return len(af.patterns) > 0 }

const (
	annFormatted = "OData.Community.Display.V1.FormattedValue"
	annLogical   = "Microsoft.Dynamics.CRM.lookuplogicalname"
	annNav       = "Microsoft.Dynamics.CRM.associatednavigationproperty"
)

// recordWriter renders records as JSON; it must be used under the store's read (or write) lock.
type recordWriter struct {
	s   *Server
	ann annotationFilter
}

func etagOf(r *record) string { return `W/"` + strconv.FormatInt(r.version, 10) + `"` }

// appendRecord appends r as a JSON object (without @odata.context).
func (w *recordWriter) appendRecord(b []byte, t *Table, r *record, sel *selection) []byte {
	b = append(b, `{"@odata.etag":`...)
	b = valfmt.AppendJSONString(b, etagOf(r))
	cols := t.Columns
	if sel != nil && sel.columns != nil {
		cols = sel.columns
	}
	pkWritten := false
	for _, c := range cols {
		if c.IsPrimaryID {
			pkWritten = true
		}
		b = w.appendColumn(b, t, c, columnValue(r, c))
	}
	if !pkWritten {
		b = w.appendColumn(b, t, t.primaryID(), r.id)
	}
	if sel != nil {
		for _, ex := range sel.expands {
			b = w.appendExpand(b, r, ex)
		}
	}
	return append(b, '}')
}

func (w *recordWriter) appendColumn(b []byte, t *Table, c *Column, v any) []byte {
	name := c.LogicalName
	if c.Type.isLookup() {
		name = "_" + name + "_value"
		if ref, ok := v.(lookupRef); ok && w.ann.any() {
			if w.ann.wants(annFormatted) {
				if pn := w.primaryName(ref); pn != "" {
					b = appendAnnotation(b, name, annFormatted, pn)
				}
			}
			if w.ann.wants(annNav) {
				b = appendAnnotation(b, name, annNav, w.navFor(t, c, ref.Table))
			}
			if w.ann.wants(annLogical) {
				b = appendAnnotation(b, name, annLogical, ref.Table)
			}
		}
	} else if v != nil && w.ann.wants(annFormatted) && c.Type != TypeString && c.Type != TypeMemo && c.Type != TypeUniqueID {
		if fv := formattedValue(c, v, nil); fv != "" {
			b = appendAnnotation(b, name, annFormatted, fv)
		}
	}
	b = append(b, ',')
	b = valfmt.AppendJSONString(b, name)
	b = append(b, ':')
	return appendValue(b, c, v)
}

func appendAnnotation(b []byte, prop, term, value string) []byte {
	b = append(b, ',')
	b = valfmt.AppendJSONString(b, prop+"@"+term)
	b = append(b, ':')
	return valfmt.AppendJSONString(b, value)
}

func (w *recordWriter) navFor(t *Table, c *Column, target string) string {
	for name, np := range t.navs {
		if np.Column == c {
			for _, tt := range np.Targets {
				if tt == target {
					return name
				}
			}
		}
	}
	return c.LogicalName
}

func (w *recordWriter) primaryName(ref lookupRef) string {
	td := w.s.store.data(ref.Table)
	if td == nil {
		return ""
	}
	r := td.records[ref.ID]
	if r == nil || td.t.PrimaryName == "" {
		return ""
	}
	v, _ := r.values[td.t.PrimaryName].(string)
	return v
}

func (w *recordWriter) appendExpand(b []byte, r *record, ex *expandItem) []byte {
	b = append(b, ',')
	b = valfmt.AppendJSONString(b, ex.name)
	b = append(b, ':')
	if ex.nav != nil {
		ref, ok := r.values[ex.nav.Column.LogicalName].(lookupRef)
		if !ok || !contains(ex.nav.Targets, ref.Table) {
			return append(b, "null"...)
		}
		td := w.s.store.data(ref.Table)
		related := td.records[ref.ID]
		if related == nil {
			return append(b, "null"...)
		}
		sel := ex.sel
		if sel.columns == nil && len(sel.names) > 0 {
			sel, _ = parseSelect(td.t, strings.Join(sel.names, ","))
		}
		return w.appendRecord(b, td.t, related, sel)
	}
	rows := w.s.relatedRecords(ex.coll, r.id, ex.query)
	b = append(b, '[')
	for i, rel := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = w.appendRecord(b, ex.coll.Referencing, rel, ex.sel)
	}
	return append(b, ']')
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// splitTopLevel splits s on sep outside parentheses and quotes.
func splitTopLevel(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	inSingle, inDouble := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' && !inSingle:
			inDouble = !inDouble
		case c == '\'' && !inDouble:
			inSingle = !inSingle
		case inSingle || inDouble:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// preferences lists the comma-separated preferences of every Prefer header.
func preferences(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Prefer") {
		for _, p := range splitPreferences(v) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// splitPreferences splits on commas outside double quotes (include-annotations lists are quoted).
func splitPreferences(v string) []string {
	var out []string
	inQuote := false
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

func hasPreference(h http.Header, name string) bool {
	for _, p := range preferences(h) {
		if p == name || strings.HasPrefix(p, name+"=") {
			return true
		}
	}
	return false
}

func preferenceValue(h http.Header, name string) (string, bool) {
	for _, p := range preferences(h) {
		if v, ok := strings.CutPrefix(p, name+"="); ok {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// columnValue is a record's value for c, including the columns kept outside the values map.
func columnValue(r *record, c *Column) any {
	switch {
	case c.IsPrimaryID:
		return r.id
	case c.LogicalName == "versionnumber":
		return r.version
	}
	return r.values[c.LogicalName]
}
