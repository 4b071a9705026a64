package emulator

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
)

// Change tracking: a read with Prefer: odata.track-changes ends with an @odata.deltaLink whose $deltatoken is the
// store version at the time of the read; following it returns the records written since (current values) and
// the records deleted since ($deletedEntity), then a new deltaLink.

func deltaToken(version int64, at time.Time) string {
	return strconv.FormatInt(version, 10) + "!" + at.UTC().Format("01/02/2006 15:04:05")
}

func parseDeltaToken(tok string) (int64, bool) {
	v, _, _ := strings.Cut(tok, "!")
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0
}

func (s *Server) handleTrackedGet(req *apiRequest, t *Table, pq *parsedQuery) *apiResponse {
	if !t.ChangeTracking {
		return errorResponse(errBadRequest(codeInvalidQuery, "The entity '%s' is not enabled for change tracking.", t.LogicalName))
	}
	for _, opt := range []string{"$filter", "$orderby", "$expand", "$top"} {
		if req.query.Has(opt) {
			return errorResponse(errBadRequest(codeInvalidQuery, "The \"%s\" query parameter isn't supported when Change Tracking is enabled.", strings.TrimPrefix(opt, "$")))
		}
	}
	size, sizeSet := pageSize(req.header)
	var cursor pageCursor
	if pq.skipToken != "" {
		var err *apiError
		if pq.deltaToken != "" {
			cursor, err = decodeDeltaSkipToken(pq.skipToken)
		} else {
			cursor, err = decodeSkipToken(t, nil, pq.skipToken)
		}
		if err != nil {
			return errorResponse(err)
		}
	} else {
		cursor.page = 1
	}
	if pq.deltaToken != "" {
		return s.handleDeltaGet(req, t, pq, cursor, size, sizeSet)
	}
	w := &recordWriter{s: s, ann: parseIncludeAnnotations(req.header)}
	var body []byte
	var n int
	s.store.read(func() {
		version := cursor.tracking
		if version == 0 {
			version = s.store.version
		}
		page, _, more := s.selectRecords(s.store.data(t.LogicalName), &collectionQuery{}, cursor.last, size)
		n = len(page)
		body = append(body, `{"@odata.context":`...)
		body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+t.EntitySetName+pq.sel.contextSuffix())
		body = append(body, `,"value":[`...)
		for i, r := range page {
			if i > 0 {
				body = append(body, ',')
			}
			body = w.appendRecord(body, t, r, pq.sel)
		}
		body = append(body, ']')
		if more {
			next := pageCursor{page: cursor.page + 1, last: sortKey(t, nil, page[len(page)-1]), tracking: version}
			link := appendQuery(linkWithout(req, t.EntitySetName, "$skiptoken"), "$skiptoken", encodeSkipToken(t, nil, next, sortKey(t, nil, page[0])))
			body = append(body, `,"@odata.nextLink":`...)
			body = valfmt.AppendJSONString(body, link)
		} else {
			link := appendQuery(linkWithout(req, t.EntitySetName, "$skiptoken", "$deltatoken"), "$deltatoken", deltaToken(version, s.now()))
			body = append(body, `,"@odata.deltaLink":`...)
			body = valfmt.AppendJSONString(body, link)
		}
		body = append(body, '}')
	})
	resp := jsonResponse(http.StatusOK, body)
	resp.records, resp.op = n, "query"
	resp.header.Set("Preference-Applied", trackingApplied(sizeSet, size))
	return resp
}

func trackingApplied(sizeSet bool, size int) string {
	if sizeSet {
		return "odata.track-changes,odata.maxpagesize=" + strconv.Itoa(size)
	}
	return "odata.track-changes"
}

// handleDeltaGet answers a deltaLink: changed records (by version), then deleted ones.
func (s *Server) handleDeltaGet(req *apiRequest, t *Table, pq *parsedQuery, cursor pageCursor, size int, sizeSet bool) *apiResponse {
	since, ok := parseDeltaToken(pq.deltaToken)
	if !ok || since < s.store.resetVersion() {
		return errorResponse(errBadRequest(codeInvalidQuery, "The $deltatoken '%s' is not valid or has expired; read the table again with Prefer: odata.track-changes.", pq.deltaToken))
	}
	w := &recordWriter{s: s, ann: parseIncludeAnnotations(req.header)}
	var body []byte
	var n int
	s.store.read(func() {
		td := s.store.data(t.LogicalName)
		upper := cursor.upper
		if upper == 0 {
			upper = s.store.version
		}
		var lastVersion int64
		if len(cursor.last) > 0 {
			if v, ok := cursor.last[0].(string); ok {
				lastVersion, _ = strconv.ParseInt(strings.Trim(v, "{}"), 10, 64)
			}
		}
		phase := cursor.phase
		var changed []*record
		if phase == 0 {
			for _, r := range td.records {
				if r.version > since && r.version <= upper && r.version > lastVersion {
					changed = append(changed, r)
				}
			}
			sort.Slice(changed, func(i, j int) bool { return changed[i].version < changed[j].version })
		}
		var deleted []tombstone
		for _, tb := range td.tombstones {
			if tb.Version > since && tb.Version <= upper && (phase == 0 || tb.Version > lastVersion) {
				deleted = append(deleted, tb)
			}
		}
		body = append(body, `{"@odata.context":`...)
		body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+t.EntitySetName+pq.sel.contextSuffix()+"/$delta")
		body = append(body, `,"value":[`...)
		written := 0
		var next *pageCursor
		for _, r := range changed {
			if written == size {
				next = &pageCursor{page: cursor.page + 1, phase: 0, upper: upper, last: []any{strconv.FormatInt(changed[written-1].version, 10)}}
				break
			}
			if written > 0 {
				body = append(body, ',')
			}
			body = w.appendRecord(body, t, r, pq.sel)
			written++
		}
		if next == nil {
			for i, tb := range deleted {
				if written == size {
					lastV := deleted[i-1].Version
					next = &pageCursor{page: cursor.page + 1, phase: 1, upper: upper, last: []any{strconv.FormatInt(lastV, 10)}}
					break
				}
				if written > 0 {
					body = append(body, ',')
				}
				body = append(body, `{"@odata.context":`...)
				body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+t.EntitySetName+"/$deletedEntity")
				body = append(body, `,"id":`...)
				body = valfmt.AppendJSONString(body, tb.ID)
				body = append(body, `,"reason":"deleted"}`...)
				written++
			}
		}
		n = written
		body = append(body, ']')
		if next != nil {
			link := appendQuery(linkWithout(req, t.EntitySetName, "$skiptoken"), "$skiptoken", encodeDeltaSkipToken(*next))
			body = append(body, `,"@odata.nextLink":`...)
			body = valfmt.AppendJSONString(body, link)
		} else {
			link := appendQuery(linkWithout(req, t.EntitySetName, "$skiptoken", "$deltatoken"), "$deltatoken", deltaToken(upper, s.now()))
			body = append(body, `,"@odata.deltaLink":`...)
			body = valfmt.AppendJSONString(body, link)
		}
		body = append(body, '}')
	})
	resp := jsonResponse(http.StatusOK, body)
	resp.records, resp.op = n, "query"
	resp.header.Set("Preference-Applied", trackingApplied(sizeSet, size))
	return resp
}

// encodeDeltaSkipToken writes a delta paging cookie; its single "last" value is the last version returned.
func encodeDeltaSkipToken(c pageCursor) string {
	inner := `<cookie page="` + strconv.Itoa(c.page-1) + `"><versionnumber last="` + c.last[0].(string) + `" /></cookie>`
	return `<cookie pagenumber="` + strconv.Itoa(c.page) + `" pagingcookie="` + cookieEscape(inner) + `" istracking="True" deltaphase="` +
		strconv.Itoa(c.phase) + `" deltaupper="` + strconv.FormatInt(c.upper, 10) + `" />`
}

func decodeDeltaSkipToken(token string) (pageCursor, *apiError) {
	bad := errBadRequest(codeInvalidQuery, "The $skiptoken is not valid for this query.")
	attrs := map[string]string{}
	for _, m := range cookieAttr.FindAllStringSubmatch(token, -1) {
		attrs[m[1]] = m[2]
	}
	var c pageCursor
	var err error
	if c.page, err = strconv.Atoi(attrs["pagenumber"]); err != nil {
		return c, bad
	}
	if c.upper, err = strconv.ParseInt(attrs["deltaupper"], 10, 64); err != nil {
		return c, bad
	}
	c.phase, _ = strconv.Atoi(attrs["deltaphase"])
	inner, uerr := cookieUnescape(attrs["pagingcookie"])
	if uerr != nil {
		return c, bad
	}
	m := cookieAttr.FindStringSubmatch(inner[strings.Index(inner, "<versionnumber"):])
	if m == nil || m[1] != "last" {
		return c, bad
	}
	c.last = []any{m[2]}
	return c, nil
}
