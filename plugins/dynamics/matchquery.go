package dynamics

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// How lookups are sent. A rule's lookup for a batch is one query per table
// it searches: every distinct key of the batch's rows in one $filter —
// Microsoft.Dynamics.CRM.In for one column, (a eq … and b eq …) or … for
// several, contains(…) or … for domains. When the queries of a step do not
// fit one URL, they go together in one $batch, each GET in it up to
// maxBatchQuery long. So a rule costs one request per batch, whatever the
// number of rows, unless the records found run over a page (5,000).

// maxBatchQuery bounds the URL of a GET inside a $batch. Dataverse accepts
// 64 KB there; half leaves room.
const maxBatchQuery = 32 << 10

// maxBatchGets is the most GETs in one $batch.
const maxBatchGets = 100

// crmRecord is a record a lookup read.
type crmRecord struct {
	tg       *target
	id       string
	vals     map[string]any
	modified time.Time
	created  time.Time
	// version is the row version, which every write raises: it orders
	// records modified within the same second.
	version int64
	// planned: a record this run created, or plans to create.
	planned bool
	// createdBy and label are the row that creates a planned record, for
	// messages.
	createdBy int
	label     string
}

// lookupQuery is one GET of a lookup step.
type lookupQuery struct {
	b    *ruleBind
	path string
	// canons are the canonical forms of the keys it looks up.
	canons map[string]bool
	// records found, by the canonical form of their rule values
	found map[string][]*crmRecord
	err   error
}

// queries builds the GETs that look up keys with the rule on its table.
func (b *ruleBind) queries(keys []*ruleKey, apiLen int) []*lookupQuery {
	tg := b.t
	var prefix strings.Builder
	prefix.WriteString(tg.t.EntitySetName)
	prefix.WriteString("?$select=")
	prefix.WriteString(strings.Join(tg.selects, ","))
	if len(tg.expands) > 0 {
		navs := make([]string, 0, len(tg.expands))
		for nav := range tg.expands {
			navs = append(navs, nav)
		}
		sort.Strings(navs)
		prefix.WriteString("&$expand=")
		for i, nav := range navs {
			if i > 0 {
				prefix.WriteByte(',')
			}
			prefix.WriteString(nav + "($select=" + strings.Join(tg.expands[nav], ",") + ")")
		}
	}
	prefix.WriteString("&$filter=")
	pre := prefix.String()
	budget := func(first bool) int {
		limit := maxBatchQuery
		if first {
			limit = maxQueryURL
		}
		return limit - apiLen - 1 - len(pre)
	}
	var out []*lookupQuery
	var cur []string
	canons := map[string]bool{}
	emit := func() {
		if len(cur) > 0 {
			out = append(out, &lookupQuery{b: b, path: pre + strings.Join(cur, "%20or%20"), canons: canons})
			cur, canons = nil, map[string]bool{}
		}
	}
	pieces := b.pieces(keys)
	// Pack pieces, escaped, into filters joined by " or ": all in one
	// plain GET when they fit, otherwise in GETs of maxBatchQuery for a
	// $batch.
	total := 0
	for _, p := range pieces {
		total += len(p.text) + len("%20or%20")
	}
	limit := budget(total <= budget(true))
	length := 0
	for _, p := range pieces {
		cost := len(p.text)
		if len(cur) > 0 {
			cost += len("%20or%20")
		}
		if len(cur) > 0 && length+cost > limit {
			emit()
			length, cost = 0, len(p.text)
		}
		cur = append(cur, p.text)
		for _, c := range p.canons {
			canons[c] = true
		}
		length += cost
	}
	emit()
	return out
}

// piece is a part of a lookup's $filter, escaped, with the keys it looks
// up.
type piece struct {
	text   string
	canons []string
}

// pieces are the escaped parts of a lookup's $filter, to be joined with
// " or ": In(…) calls of at most a few hundred values, or one term per key.
// Text holding a double quote or a backslash goes in an eq term of its own,
// quoted the OData way, rather than in In's JSON array.
func (b *ruleBind) pieces(keys []*ruleKey) []piece {
	var out []piece
	if len(b.parts) == 1 && b.parts[0].nav == "" && b.rule.compare != compareDomain {
		p := b.parts[0]
		head := escapeFilter("Microsoft.Dynamics.CRM.In(PropertyName='" + p.prop + "',PropertyValues=[")
		tail := escapeFilter("])")
		var vals, canons []string
		size := 0
		flush := func() {
			if len(vals) > 0 {
				out = append(out, piece{text: head + strings.Join(vals, "%2C") + tail, canons: canons})
				vals, canons, size = nil, nil, 0
			}
		}
		for _, k := range keys {
			v := k.vals[0]
			s, isText := v.(string)
			if isText && strings.ContainsAny(s, "\"\\") || isText && hasControl(s) {
				out = append(out, piece{text: escapeFilter(p.prop + " eq " + filterLiteral(v, p.guid)), canons: []string{k.canon}})
				continue
			}
			if !isText {
				s = literal(v)
			}
			ev := escapeFilter(`"` + s + `"`)
			if size+len(ev) > maxBatchQuery/2 {
				flush()
			}
			vals = append(vals, ev)
			canons = append(canons, k.canon)
			size += len(ev) + 3
		}
		flush()
		return out
	}
	for _, k := range keys {
		var term strings.Builder
		if len(b.parts) > 1 {
			term.WriteByte('(')
		}
		for i, p := range b.parts {
			if i > 0 {
				term.WriteString(" and ")
			}
			if b.rule.compare == compareDomain {
				term.WriteString("contains(" + p.prop + "," + literal(k.vals[i]) + ")")
				continue
			}
			term.WriteString(p.prop + " eq " + filterLiteral(k.vals[i], p.guid))
		}
		if len(b.parts) > 1 {
			term.WriteByte(')')
		}
		out = append(out, piece{text: escapeFilter(term.String()), canons: []string{k.canon}})
	}
	return out
}

// fetch sends the queries of one lookup step — in one GET if there is one
// and it is short, else in $batch requests of up to maxBatchGets GETs — and
// follows next links. A query the service refuses gets its error; a
// failure that concerns every request is returned.
func (m *matcher) fetch(ctx context.Context, qs []*lookupQuery) error {
	if len(qs) == 0 {
		return nil
	}
	s := m.s
	pageHeader := http.Header{"Prefer": {"odata.maxpagesize=5000"}}
	if len(qs) == 1 && len(s.client.api)+1+len(qs[0].path) <= maxQueryURL {
		resp, _, err := s.send(ctx, &request{method: http.MethodGet, path: qs[0].path, header: pageHeader})
		if err != nil {
			if classify(err) == failFatal {
				return s.fatal(err)
			}
			qs[0].err = err
			return nil
		}
		return m.readPages(ctx, qs[0], resp.body)
	}
	var wg sync.WaitGroup
	errs := make([]error, (len(qs)+maxBatchGets-1)/maxBatchGets)
	for c := 0; c*maxBatchGets < len(qs); c++ {
		chunk := qs[c*maxBatchGets : min((c+1)*maxBatchGets, len(qs))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[c] = m.fetchBatch(ctx, chunk)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// fetchBatch sends GETs in one $batch.
func (m *matcher) fetchBatch(ctx context.Context, qs []*lookupQuery) error {
	s := m.s
	parts := make([]batchPart, len(qs))
	for i, q := range qs {
		parts[i] = batchPart{method: http.MethodGet, url: q.path, header: map[string]string{"Prefer": "odata.maxpagesize=5000"}}
	}
	body, contentType := encodeBatch(s.apiPath, parts)
	resp, _, err := s.send(ctx, &request{method: http.MethodPost, path: "$batch", body: body,
		header: http.Header{"Content-Type": {contentType}, "Prefer": {"odata.continue-on-error"}}})
	if err != nil {
		if classify(err) == failFatal {
			return s.fatal(err)
		}
		for _, q := range qs {
			q.err = err
		}
		return nil
	}
	answers, err := decodeBatch(resp.header.Get("Content-Type"), resp.body)
	if err == nil && len(answers) != len(qs) {
		err = fmt.Errorf("the $batch answer has %d parts for %d queries", len(answers), len(qs))
	}
	if err != nil {
		return s.fatal(fmt.Errorf("looking up records: %w", err))
	}
	for i, a := range answers {
		q := qs[i]
		if a.status >= 400 {
			perr := decodeError(a.status, a.header, a.body)
			if classify(perr) == failFatal {
				return s.fatal(perr)
			}
			if classify(perr) == failThrottled || classify(perr) == failTransient {
				// Ask again on its own, with the sink's retries.
				r, _, err := s.send(ctx, &request{method: http.MethodGet, path: q.path, header: http.Header{"Prefer": {"odata.maxpagesize=5000"}}})
				if err != nil {
					q.err = err
					continue
				}
				a.body = r.body
			} else {
				q.err = perr
				continue
			}
		}
		if err := m.readPages(ctx, q, a.body); err != nil {
			return err
		}
	}
	return nil
}

// readPages reads a query's first page and follows its next links.
func (m *matcher) readPages(ctx context.Context, q *lookupQuery, body []byte) error {
	s := m.s
	q.found = map[string][]*crmRecord{}
	for {
		// Numbers come as float64: record ids are text, and the numbers
		// compared (whole numbers, choices, versions) stay below 2^53.
		var page struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			q.err = fmt.Errorf("reading records of %s: %w", q.b.t.t.LogicalName, err)
			return nil
		}
		for _, vals := range page.Value {
			rec := q.b.t.record(vals)
			if rec == nil {
				continue
			}
			if canon, ok := q.b.recordCanon(vals); ok {
				q.found[canon] = append(q.found[canon], rec)
			}
		}
		if page.NextLink == "" {
			return nil
		}
		next := strings.TrimPrefix(strings.TrimPrefix(page.NextLink, s.client.api), "/")
		if strings.HasPrefix(next, "http") {
			q.err = fmt.Errorf("the service's next link %q is not under %s", page.NextLink, s.client.api)
			return nil
		}
		resp, _, err := s.send(ctx, &request{method: http.MethodGet, path: next, header: http.Header{"Prefer": {"odata.maxpagesize=5000"}}})
		if err != nil {
			if classify(err) == failFatal {
				return s.fatal(err)
			}
			q.err = err
			return nil
		}
		body = resp.body
	}
}

// record makes a record of a table from the values a query read.
func (tg *target) record(vals map[string]any) *crmRecord {
	id, _ := vals[tg.t.PrimaryID].(string)
	id, ok := parseGUID(id)
	if !ok {
		return nil
	}
	rec := &crmRecord{tg: tg, id: id, vals: vals}
	if s, ok := vals["modifiedon"].(string); ok {
		rec.modified, _ = time.Parse(time.RFC3339Nano, s)
	}
	if s, ok := vals["createdon"].(string); ok {
		rec.created, _ = time.Parse(time.RFC3339Nano, s)
	}
	switch v := vals["versionnumber"].(type) {
	case float64:
		rec.version = int64(v)
	case json.Number:
		rec.version, _ = v.Int64()
	case string:
		rec.version, _ = strconv.ParseInt(v, 10, 64)
	}
	return rec
}
