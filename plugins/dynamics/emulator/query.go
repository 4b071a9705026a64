package emulator

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
)

const maxPageSize = 5000

// collectionQuery is $filter, $orderby and $top.
type collectionQuery struct {
	filter  filterNode
	orderBy []orderItem
	top     int
	hasTop  bool
}

type orderItem struct {
	name string
	col  *Column
	desc bool
}

func parseOrderBy(t *Table, text string) ([]orderItem, *apiError) {
	var out []orderItem
	for _, part := range strings.Split(text, ",") {
		fields := strings.Fields(part)
		if len(fields) == 0 || len(fields) > 2 {
			return nil, errBadRequest(codeInvalidQuery, "Syntax error in $orderby '%s'.", text)
		}
		c, ok := columnForQuery(t, fields[0])
		if !ok {
			return nil, errPropertyNotFound(fields[0], t.LogicalName)
		}
		item := orderItem{name: fields[0], col: c}
		if len(fields) == 2 {
			switch fields[1] {
			case "asc":
			case "desc":
				item.desc = true
			default:
				return nil, errBadRequest(codeInvalidQuery, "Syntax error in $orderby '%s'.", text)
			}
		}
		out = append(out, item)
	}
	return out, nil
}

// columnForQuery resolves a property name used in $filter or $orderby: a column or a lookup's "_x_value".
func columnForQuery(t *Table, name string) (*Column, bool) {
	if c, ok := t.lookupByVal[name]; ok {
		return c, true
	}
	c, ok := t.byName[name]
	if !ok || c.Type.isLookup() {
		return nil, false
	}
	return c, true
}

// checkFilterColumns rejects properties the table does not have. Paths through single-valued navigation
// properties (parentcustomerid_account/name) are allowed.
func checkFilterColumns(t *Table, f filterNode) *apiError {
	return walkProps(f, func(path string) *apiError {
		navName, col, isPath := strings.Cut(path, "/")
		if !isPath {
			if _, ok := columnForQuery(t, path); !ok {
				return errPropertyNotFound(path, t.LogicalName)
			}
			return nil
		}
		if _, ok := t.navs[navName]; !ok || col == "" {
			return errPropertyNotFound(navName, t.LogicalName)
		}
		return nil
	})
}

// recordGetter reads property paths of r for filter evaluation; must run under the store lock.
func (s *Server) recordGetter(t *Table, r *record) getter {
	return func(path string) any {
		navName, col, isPath := strings.Cut(path, "/")
		if !isPath {
			if c, ok := t.lookupByVal[path]; ok {
				return r.values[c.LogicalName]
			}
			if c, ok := t.byName[path]; ok {
				return columnValue(r, c)
			}
			return r.values[path]
		}
		nav := t.navs[navName]
		ref, ok := r.values[nav.Column.LogicalName].(lookupRef)
		if !ok || !contains(nav.Targets, ref.Table) {
			return nil
		}
		td := s.store.data(ref.Table)
		related := td.records[ref.ID]
		if related == nil {
			return nil
		}
		return s.recordGetter(td.t, related)(col)
	}
}

// lessFunc orders records by the $orderby items, then by primary id (what makes paging cookies exact).
func sortKey(t *Table, order []orderItem, r *record) []any {
	key := make([]any, 0, len(order)+1)
	for _, o := range order {
		key = append(key, columnValue(r, o.col))
	}
	return append(key, r.id)
}

func compareKeys(order []orderItem, a, b []any) int {
	for i := range a {
		c := compareNullable(a[i], b[i])
		if i < len(order) && order[i].desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compareNullable orders nulls first, as SQL Server does for ascending sorts.
func compareNullable(a, b any) int {
	a, b = normalizeForCompare(a), normalizeForCompare(b)
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	c, _ := compareOrdered(a, b)
	return c
}

// selectRecords filters, sorts and pages the records of td; it must run under the store lock. It returns the page,
// the number of matches (capped at 5,000 like the service's count) and whether more pages follow.
func (s *Server) selectRecords(td *tableData, q *collectionQuery, after []any, limit int) (page []*record, count int, more bool) {
	t := td.t
	var matches []*record
	var keys [][]any
	visit := func(r *record) {
		if q.filter != nil && !evalFilter(q.filter, s.recordGetter(t, r)) {
			return
		}
		count++
		k := sortKey(t, q.orderBy, r)
		if after != nil && compareKeys(q.orderBy, k, after) <= 0 {
			return
		}
		matches = append(matches, r)
		keys = append(keys, k)
	}
	if cands, ok := td.candidates(q.filter); q.filter != nil && ok {
		for _, r := range cands {
			visit(r)
		}
	} else {
		for _, r := range td.records {
			visit(r)
		}
	}
	if limit == 0 {
		return nil, min(count, maxPageSize), len(matches) > 0
	}
	idx := make([]int, len(matches))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return compareKeys(q.orderBy, keys[idx[i]], keys[idx[j]]) < 0 })
	if limit >= 0 && len(idx) > limit {
		idx, more = idx[:limit], true
	}
	page = make([]*record, len(idx))
	for i, j := range idx {
		page[i] = matches[j]
	}
	if count > maxPageSize {
		count = maxPageSize
	}
	return page, count, more
}

// relatedRecords lists the records of a collection-valued navigation property; must run under the store lock.
func (s *Server) relatedRecords(coll *collectionNav, id string, q *collectionQuery) []*record {
	td := s.store.data(coll.Referencing.LogicalName)
	col := coll.Column.LogicalName
	filtered := &collectionQuery{}
	if q != nil {
		*filtered = *q
	}
	var out []*record
	for _, r := range td.records {
		if ref, ok := r.values[col].(lookupRef); !ok || ref.ID != id {
			continue
		}
		if filtered.filter != nil && !evalFilter(filtered.filter, s.recordGetter(td.t, r)) {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		return compareKeys(filtered.orderBy, sortKey(td.t, filtered.orderBy, out[i]), sortKey(td.t, filtered.orderBy, out[j])) < 0
	})
	limit := maxPageSize
	if filtered.hasTop && filtered.top < limit {
		limit = filtered.top
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// unsupportedQueryOptions are rejected as the service rejects them.
var unsupportedQueryOptions = []string{"$skip", "$search", "$format", "$compute", "$index", "$schemaversion"}

// parsedQuery is a collection GET's query options.
type parsedQuery struct {
	sel        *selection
	q          collectionQuery
	count      bool
	skipToken  string
	deltaToken string
	aliases    map[string]string
}

func (s *Server) parseQueryOptions(t *Table, req *apiRequest) (*parsedQuery, *apiError) {
	for _, opt := range unsupportedQueryOptions {
		if req.query.Has(opt) {
			return nil, errBadRequest(codeInvalidQuery, "The query parameter %s is not supported", opt)
		}
	}
	pq := &parsedQuery{aliases: map[string]string{}}
	for k, v := range req.query {
		if strings.HasPrefix(k, "@") && len(v) > 0 {
			pq.aliases[k[1:]] = v[0]
		}
	}
	var err *apiError
	if pq.sel, err = parseSelect(t, req.query.Get("$select")); err != nil {
		return nil, err
	}
	if err := s.parseExpand(t, req.query.Get("$expand"), pq.sel); err != nil {
		return nil, err
	}
	if f := req.query.Get("$filter"); f != "" {
		if pq.q.filter, err = parseFilter(f, pq.aliases); err != nil {
			return nil, err
		}
		if err := checkFilterColumns(t, pq.q.filter); err != nil {
			return nil, err
		}
	}
	if ob := req.query.Get("$orderby"); ob != "" {
		for alias, val := range pq.aliases {
			ob = strings.ReplaceAll(ob, "@"+alias, strings.Trim(val, "'"))
		}
		if pq.q.orderBy, err = parseOrderBy(t, ob); err != nil {
			return nil, err
		}
	}
	if top := req.query.Get("$top"); top != "" {
		n, perr := strconv.Atoi(top)
		if perr != nil || n < 0 {
			return nil, errBadRequest(codeInvalidQuery, "Invalid value '%s' for $top query option found. The $top query option requires a non-negative integer value.", top)
		}
		pq.q.top, pq.q.hasTop = n, true
	}
	switch c := req.query.Get("$count"); c {
	case "", "false":
	case "true":
		pq.count = true
	default:
		return nil, errBadRequest(codeInvalidQuery, "'%s' is not a valid count option.", c)
	}
	pq.skipToken = req.query.Get("$skiptoken")
	pq.deltaToken = req.query.Get("$deltatoken")
	return pq, nil
}

// pageSize reads Prefer: odata.maxpagesize (default and maximum 5,000).
func pageSize(h http.Header) (int, bool) {
	v, ok := preferenceValue(h, "odata.maxpagesize")
	if !ok {
		return maxPageSize, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return maxPageSize, false
	}
	if n > maxPageSize {
		n = maxPageSize
	}
	return n, true
}

// linkWithout rebuilds the request's URL (same scheme, host and path) with the given query options removed.
func linkWithout(req *apiRequest, resource string, drop ...string) string {
	var kept []string
	for _, part := range strings.Split(req.rawQuery, "&") {
		if part == "" {
			continue
		}
		name := part
		if i := strings.IndexByte(part, '='); i >= 0 {
			name = part[:i]
		}
		if n, err := unescapeQueryName(name); err == nil {
			name = n
		}
		if contains(drop, name) {
			continue
		}
		kept = append(kept, part)
	}
	u := req.root + "/" + resource
	if len(kept) > 0 {
		u += "?" + strings.Join(kept, "&")
	}
	return u
}

func appendQuery(u, name, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + name + "=" + linkEscape(value)
}

func unescapeQueryName(s string) (string, error) {
	return cookieUnescape(strings.ReplaceAll(s, "+", " "))
}

// handleCollectionGet answers GET <set>: a query, a page of one, or a change-tracking read.
func (s *Server) handleCollectionGet(req *apiRequest, t *Table) *apiResponse {
	pq, err := s.parseQueryOptions(t, req)
	if err != nil {
		return errorResponse(err)
	}
	tracking := hasPreference(req.header, "odata.track-changes")
	if tracking || pq.deltaToken != "" {
		return s.handleTrackedGet(req, t, pq)
	}
	size, sizeSet := pageSize(req.header)
	limit := size
	if pq.q.hasTop && !sizeSet && pq.q.top < limit {
		limit = pq.q.top
	}
	var cursor pageCursor
	var after []any
	if pq.skipToken != "" {
		if cursor, err = decodeSkipToken(t, pq.q.orderBy, pq.skipToken); err != nil {
			return errorResponse(err)
		}
		after = cursor.last
	} else {
		cursor.page = 1
	}
	ann := parseIncludeAnnotations(req.header)
	w := &recordWriter{s: s, ann: ann}
	var body []byte
	var n int
	s.store.read(func() {
		td := s.store.data(t.LogicalName)
		page, count, more := s.selectRecords(td, &pq.q, after, limit)
		if pq.q.hasTop && !sizeSet {
			more = false
		}
		n = len(page)
		body = append(body, `{"@odata.context":`...)
		body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+t.EntitySetName+pq.sel.contextSuffix())
		if pq.count {
			body = append(body, `,"@odata.count":`...)
			body = strconv.AppendInt(body, int64(count), 10)
		}
		if ann.wants("Microsoft.Dynamics.CRM.totalrecordcount") {
			total := -1
			if pq.count {
				total = count
			}
			body = append(body, `,"@Microsoft.Dynamics.CRM.totalrecordcount":`...)
			body = strconv.AppendInt(body, int64(total), 10)
		}
		if ann.wants("Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded") {
			body = append(body, `,"@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded":`...)
			body = strconv.AppendBool(body, pq.count && count >= maxPageSize)
		}
		body = append(body, `,"value":[`...)
		for i, r := range page {
			if i > 0 {
				body = append(body, ',')
			}
			body = w.appendRecord(body, t, r, pq.sel)
		}
		body = append(body, ']')
		if more && len(page) > 0 {
			next := pageCursor{page: cursor.page + 1, last: sortKey(t, pq.q.orderBy, page[len(page)-1])}
			token := encodeSkipToken(t, pq.q.orderBy, next, sortKey(t, pq.q.orderBy, page[0]))
			link := appendQuery(linkWithout(req, t.EntitySetName, "$skiptoken"), "$skiptoken", token)
			body = append(body, `,"@odata.nextLink":`...)
			body = valfmt.AppendJSONString(body, link)
		}
		body = append(body, '}')
	})
	resp := jsonResponse(http.StatusOK, body)
	resp.records, resp.op = n, "query"
	applied := appliedPreferences(req.header, sizeSet, size, ann)
	if applied != "" {
		resp.header.Set("Preference-Applied", applied)
	}
	return resp
}

func appliedPreferences(h http.Header, sizeSet bool, size int, ann annotationFilter) string {
	var applied []string
	if sizeSet {
		applied = append(applied, "odata.maxpagesize="+strconv.Itoa(size))
	}
	if ann.any() {
		applied = append(applied, `odata.include-annotations="`+strings.Join(ann.patterns, ",")+`"`)
	}
	return strings.Join(applied, ",")
}

// handleCount answers GET <set>/$count with the number of rows (at most 5,000) as plain text.
func (s *Server) handleCount(req *apiRequest, t *Table) *apiResponse {
	pq, err := s.parseQueryOptions(t, req)
	if err != nil {
		return errorResponse(err)
	}
	var count int
	s.store.read(func() {
		_, count, _ = s.selectRecords(s.store.data(t.LogicalName), &pq.q, nil, 0)
	})
	resp := &apiResponse{status: http.StatusOK, header: http.Header{}, body: []byte(strconv.Itoa(count))}
	resp.header.Set("Content-Type", "text/plain")
	resp.header.Set("OData-Version", "4.0")
	resp.op = "count"
	return resp
}
