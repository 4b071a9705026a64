package emulator

// Dataverse answers lookups by indexed columns without reading the table.
// The emulator keeps an index for each alternate key; a query whose filter
// can only be true for records pinned by a single-column key — one
// Microsoft.Dynamics.CRM.In or eq on that column, or an or of such terms,
// each possibly and-ed with other conditions — reads only those records,
// and evaluates the whole filter on them. Every other query reads the
// table. The answer is the same either way; only the time differs, so that
// matching a batch of rows against a table of 100,000 records costs what
// it costs on the service, not a scan per query.

// candidates returns the records filter f can be true for, through the
// indexes of single-column alternate keys, or ok = false when f does not
// pin a key.
func (td *tableData) candidates(f filterNode) (recs []*record, ok bool) {
	var terms []filterNode
	var flatten func(n filterNode)
	flatten = func(n filterNode) {
		if l, isOr := n.(*logicalNode); isOr && l.op == "or" {
			flatten(l.left)
			flatten(l.right)
			return
		}
		terms = append(terms, n)
	}
	flatten(f)
	seen := map[string]bool{}
	for _, term := range terms {
		key, values, pinned := td.pinned(term)
		if !pinned {
			return nil, false
		}
		for _, v := range values {
			id, found := td.keyIndex[key][normalizeKeyValue(v)]
			if !found || seen[id] {
				continue
			}
			seen[id] = true
			recs = append(recs, td.records[id])
		}
	}
	return recs, true
}

// pinned reports whether a term can only be true for records whose
// single-column key (index key) has one of values.
func (td *tableData) pinned(n filterNode) (key int, values []any, ok bool) {
	switch x := n.(type) {
	case *logicalNode:
		if x.op != "and" {
			return 0, nil, false
		}
		if key, values, ok = td.pinned(x.left); ok {
			return key, values, true
		}
		return td.pinned(x.right)
	case *crmFuncNode:
		if x.name != "In" {
			return 0, nil, false
		}
		if key, ok = td.singleKey(x.prop); !ok {
			return 0, nil, false
		}
		for _, v := range x.values {
			values = append(values, v)
		}
		return key, values, true
	case *compareNode:
		if x.op != "eq" {
			return 0, nil, false
		}
		prop, lit := x.left, x.right
		if _, isProp := prop.(*propNode); !isProp {
			prop, lit = lit, prop
		}
		p, isProp := prop.(*propNode)
		l, isLit := lit.(*literalNode)
		if !isProp || !isLit || l.v == nil {
			return 0, nil, false
		}
		if key, ok = td.singleKey(p.path); !ok {
			return 0, nil, false
		}
		return key, []any{l.v}, true
	}
	return 0, nil, false
}

// singleKey finds the alternate key whose only column is prop, a text
// column (whose values the index holds as the filter gives them).
func (td *tableData) singleKey(prop string) (int, bool) {
	for i, k := range td.t.Keys {
		if len(k.Columns) != 1 || k.Columns[0] != prop {
			continue
		}
		if c := td.t.byName[prop]; c != nil && (c.Type == TypeString || c.Type == TypeMemo) {
			return i, true
		}
	}
	return 0, false
}
