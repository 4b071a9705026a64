package emulator

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
)

// inTx runs fn in the request's change-set transaction, or in a transaction of its own.
func (s *Server) inTx(req *apiRequest, fn func(tx *txn) *apiError) *apiError {
	if req.tx != nil {
		return fn(req.tx)
	}
	err := s.store.write(func(tx *txn) error {
		if e := fn(tx); e != nil {
			return e
		}
		return nil
	})
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	s.logger.Error("commit", "err", err)
	return newAPIError(http.StatusInternalServerError, codeGenericSQL, "Generic SQL error.")
}

func (s *Server) writeContext(req *apiRequest) writeContext {
	return writeContext{callerID: req.user.systemUserID, now: s.now()}
}

// representation renders a record after a write, for Prefer: return=representation.
func (s *Server) representation(req *apiRequest, t *Table, id string, status int, preferenceApplied bool) *apiResponse {
	sel, err := parseSelect(t, req.query.Get("$select"))
	if err != nil {
		return errorResponse(err)
	}
	if status == http.StatusCreated {
		if err := s.parseExpand(t, req.query.Get("$expand"), sel); err != nil {
			return errorResponse(err)
		}
	}
	w := &recordWriter{s: s, ann: parseIncludeAnnotations(req.header)}
	var body []byte
	var etag string
	read := func() {
		r := s.store.data(t.LogicalName).records[id]
		etag = etagOf(r)
		body = append(body, `{"@odata.context":`...)
		body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+t.EntitySetName+sel.contextSuffix()+"/$entity")
		body = append(body, ',')
		body = append(body, w.appendRecord(nil, t, r, sel)[1:]...)
	}
	if req.tx != nil {
		read() // the change set holds the write lock
	} else {
		s.store.read(read)
	}
	resp := jsonResponse(status, body)
	resp.header.Set("Content-Type", "application/json; odata.metadata=minimal")
	resp.header.Set("ETag", etag)
	if preferenceApplied {
		resp.header.Set("Preference-Applied", "return=representation")
	}
	return resp
}

func wantsRepresentation(h http.Header) bool { return hasPreference(h, "return=representation") }

// handleCreate answers POST <set>.
func (s *Server) handleCreate(req *apiRequest, t *Table) *apiResponse {
	if err := s.privilegeError(req.user, t, PrivilegeCreate); err != nil {
		return errorResponse(err)
	}
	obj, err := decodeJSONObject(t.EntitySetName, req.body)
	if err != nil {
		return errorResponse(err)
	}
	ch, err := s.parseEntityBody(t, obj, true, req.ids)
	if err != nil {
		return errorResponse(err)
	}
	var id string
	err = s.inTx(req, func(tx *txn) *apiError {
		var e *apiError
		id, e = s.createRecord(tx, t, ch, s.writeContext(req))
		return e
	})
	if err != nil {
		return errorResponse(err)
	}
	entityURL := req.root + "/" + t.EntitySetName + "(" + id + ")"
	var resp *apiResponse
	if wantsRepresentation(req.header) {
		resp = s.representation(req, t, id, http.StatusCreated, true)
	} else {
		resp = noContent()
		resp.header.Set("OData-EntityId", entityURL)
	}
	resp.records, resp.write, resp.op, resp.entityURL = 1, true, "create", entityURL
	return resp
}

// createRecord inserts a new record (the id from the body when given) under tx.
func (s *Server) createRecord(tx *txn, t *Table, ch *entityChange, wc writeContext) (string, *apiError) {
	td := tx.s.data(t.LogicalName)
	id, _ := ch.values[t.PrimaryID].(string)
	if id == "" {
		id = newRecordID()
	} else if td.records[id] != nil {
		return "", errDuplicateRecord()
	}
	values, err := s.build(tx, t, nil, ch, id, wc)
	if err != nil {
		return "", err
	}
	if err := tx.put(td, &record{id: id, version: tx.nextVersion(), values: values}); err != nil {
		return "", err
	}
	return id, nil
}

// updateRecord applies ch to an existing record under tx.
func (s *Server) updateRecord(tx *txn, t *Table, existing *record, ch *entityChange, wc writeContext) *apiError {
	delete(ch.values, t.PrimaryID)
	values, err := s.build(tx, t, existing, ch, existing.id, wc)
	if err != nil {
		return err
	}
	return tx.put(tx.s.data(t.LogicalName), &record{id: existing.id, version: tx.nextVersion(), values: values})
}

// handleRetrieve answers GET <set>(key).
func (s *Server) handleRetrieve(req *apiRequest, t *Table, key *recordKey) *apiResponse {
	if err := s.privilegeError(req.user, t, PrivilegeRead); err != nil {
		return errorResponse(err)
	}
	for _, opt := range unsupportedQueryOptions {
		if req.query.Has(opt) {
			return errorResponse(errBadRequest(codeInvalidQuery, "The query parameter %s is not supported", opt))
		}
	}
	sel, err := parseSelect(t, req.query.Get("$select"))
	if err != nil {
		return errorResponse(err)
	}
	if err := s.parseExpand(t, req.query.Get("$expand"), sel); err != nil {
		return errorResponse(err)
	}
	ann := parseIncludeAnnotations(req.header)
	w := &recordWriter{s: s, ann: ann}
	var resp *apiResponse
	s.store.read(func() {
		r := s.store.data(t.LogicalName).find(key)
		if r == nil {
			resp = errorResponse(notFoundFor(t, key))
			return
		}
		if inm := req.header.Get("If-None-Match"); inm != "" && inm != "null" && len(sel.expands) == 0 && !ann.any() && etagMatches(inm, r) {
			resp = &apiResponse{status: http.StatusNotModified, header: http.Header{"OData-Version": {"4.0"}}}
			return
		}
		body := []byte(`{"@odata.context":`)
		body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+t.EntitySetName+sel.contextSuffix()+"/$entity")
		body = append(body, ',')
		body = append(body, w.appendRecord(nil, t, r, sel)[1:]...)
		resp = jsonResponse(http.StatusOK, body)
		if ann.any() {
			resp.header.Set("Preference-Applied", `odata.include-annotations="`+strings.Join(ann.patterns, ",")+`"`)
		}
		resp.records = 1
	})
	resp.op = "retrieve"
	return resp
}

func notFoundFor(t *Table, key *recordKey) *apiError {
	if key.id != "" {
		return errRecordNotFound(t.LogicalName, key.id)
	}
	return errKeyRecordNotFound(t.LogicalName)
}

// etagMatches compares an If-Match/If-None-Match value with a record's version ("*" matches any record).
func etagMatches(header string, r *record) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || v == etagOf(r) || strings.Trim(v, `"`) == strings.TrimPrefix(strings.Trim(etagOf(r), `"`), `W/"`) {
			return true
		}
	}
	return false
}

// handleUpsert answers PATCH <set>(key): update, or create when the record does not exist, following If-Match and
// If-None-Match.
func (s *Server) handleUpsert(req *apiRequest, t *Table, key *recordKey, addressed string) *apiResponse {
	obj, err := decodeJSONObject(t.EntitySetName, req.body)
	if err != nil {
		return errorResponse(err)
	}
	ifMatch := req.header.Get("If-Match")
	ifNoneMatch := req.header.Get("If-None-Match")
	if ifNoneMatch == "null" {
		ifNoneMatch = ""
	}
	var created bool
	var id string
	err = s.inTx(req, func(tx *txn) *apiError {
		td := tx.s.data(t.LogicalName)
		existing := td.find(key)
		switch {
		case existing == nil && ifMatch != "":
			return notFoundFor(t, key)
		case existing != nil && ifNoneMatch == "*":
			return errDuplicateRecord()
		case existing != nil && ifMatch != "" && !etagMatches(ifMatch, existing):
			return errVersionMismatch()
		}
		if existing != nil {
			if e := s.privilegeError(req.user, t, PrivilegeWrite); e != nil {
				return e
			}
			ch, e := s.parseEntityBody(t, obj, false, req.ids)
			if e != nil {
				return e
			}
			if key.id == "" {
				for col := range key.values {
					delete(ch.values, col) // key values can't change while addressing by them
					delete(ch.binds, col)
				}
			}
			id = existing.id
			return s.updateRecord(tx, t, existing, ch, s.writeContext(req))
		}
		if e := s.privilegeError(req.user, t, PrivilegeCreate); e != nil {
			return e
		}
		ch, e := s.parseEntityBody(t, obj, true, req.ids)
		if e != nil {
			return e
		}
		if key.id != "" {
			ch.values[t.PrimaryID] = key.id
		} else {
			delete(ch.values, t.PrimaryID)
			for col, v := range key.values {
				if _, inBody := ch.values[col]; inBody {
					continue
				}
				if _, inBody := ch.binds[col]; inBody {
					continue
				}
				if ref, isRef := v.(lookupRef); isRef {
					ch.binds[col] = &bindTarget{nav: &navProperty{Column: t.byName[col]}, key: &recordKey{id: ref.ID}}
					continue
				}
				ch.values[col] = v
			}
		}
		created = true
		id, e = s.createRecord(tx, t, ch, s.writeContext(req))
		return e
	})
	if err != nil {
		return errorResponse(err)
	}
	var resp *apiResponse
	switch {
	case wantsRepresentation(req.header) && created:
		resp = s.representation(req, t, id, http.StatusCreated, true)
	case wantsRepresentation(req.header):
		resp = s.representation(req, t, id, http.StatusOK, false)
	default:
		resp = noContent()
		resp.header.Set("OData-EntityId", addressed)
	}
	resp.records, resp.write, resp.entityURL = 1, true, req.root+"/"+t.EntitySetName+"("+id+")"
	resp.op = "update"
	if created {
		resp.op = "create"
	}
	return resp
}

// handleDelete answers DELETE <set>(key).
func (s *Server) handleDelete(req *apiRequest, t *Table, key *recordKey) *apiResponse {
	if err := s.privilegeError(req.user, t, PrivilegeDelete); err != nil {
		return errorResponse(err)
	}
	ifMatch := req.header.Get("If-Match")
	err := s.inTx(req, func(tx *txn) *apiError {
		td := tx.s.data(t.LogicalName)
		r := td.find(key)
		if r == nil {
			return notFoundFor(t, key)
		}
		if ifMatch != "" && !etagMatches(ifMatch, r) {
			return errVersionMismatch()
		}
		if err := s.faults.checkRecord(t, r.values); err != nil {
			return err
		}
		tx.remove(td, r.id)
		return nil
	})
	if err != nil {
		return errorResponse(err)
	}
	resp := noContent()
	resp.records, resp.write, resp.op = 1, true, "delete"
	return resp
}

// handleRecordProperty answers <set>(key)/<rest>: a collection-valued navigation property (GET), or a single
// property (GET, PUT {"value":...}, DELETE).
func (s *Server) handleRecordProperty(req *apiRequest, t *Table, key *recordKey, rest, addressed string) *apiResponse {
	if coll, ok := t.collections[rest]; ok {
		if req.method != http.MethodGet {
			return errorResponse(errMethodNotAllowed(req.method))
		}
		return s.handleRelatedGet(req, t, key, coll)
	}
	c, ok := t.byName[rest]
	if !ok || c.Type.isLookup() {
		if lc, isLookup := t.lookupByVal[rest]; isLookup && req.method == http.MethodGet {
			c, ok = lc, true
		}
	}
	if !ok {
		return errorResponse(errResourceNotFound(rest))
	}
	switch req.method {
	case http.MethodGet:
		if err := s.privilegeError(req.user, t, PrivilegeRead); err != nil {
			return errorResponse(err)
		}
		var resp *apiResponse
		s.store.read(func() {
			r := s.store.data(t.LogicalName).find(key)
			if r == nil {
				resp = errorResponse(notFoundFor(t, key))
				return
			}
			v := r.values[c.LogicalName]
			if c.IsPrimaryID {
				v = r.id
			}
			body := []byte(`{"@odata.context":`)
			body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+t.EntitySetName+"("+r.id+")/"+rest)
			body = append(body, `,"value":`...)
			body = appendValue(body, c, v)
			body = append(body, '}')
			resp = jsonResponse(http.StatusOK, body)
			resp.records = 1
		})
		return resp
	case http.MethodPut, http.MethodDelete:
		var value any
		if req.method == http.MethodPut {
			obj, err := decodeJSONObject(t.EntitySetName, req.body)
			if err != nil {
				return errorResponse(err)
			}
			value = obj["value"]
		}
		req2 := *req
		req2.body = nil
		req2.header = req.header.Clone()
		req2.header.Set("If-Match", "*")
		body, _ := jsonMarshal(map[string]any{rest: value})
		req2.body = body
		resp := s.handleUpsert(&req2, t, key, addressed)
		if resp.status == http.StatusNoContent {
			resp.header.Del("OData-EntityId")
		}
		return resp
	}
	return errorResponse(errMethodNotAllowed(req.method))
}

func (s *Server) handleRelatedGet(req *apiRequest, t *Table, key *recordKey, coll *collectionNav) *apiResponse {
	related := coll.Referencing
	if err := s.privilegeError(req.user, related, PrivilegeRead); err != nil {
		return errorResponse(err)
	}
	pq, err := s.parseQueryOptions(related, req)
	if err != nil {
		return errorResponse(err)
	}
	w := &recordWriter{s: s, ann: parseIncludeAnnotations(req.header)}
	var resp *apiResponse
	s.store.read(func() {
		r := s.store.data(t.LogicalName).find(key)
		if r == nil {
			resp = errorResponse(notFoundFor(t, key))
			return
		}
		rows := s.relatedRecords(coll, r.id, &pq.q)
		body := []byte(`{"@odata.context":`)
		body = valfmt.AppendJSONString(body, req.root+"/$metadata#"+related.EntitySetName+pq.sel.contextSuffix())
		body = append(body, `,"value":[`...)
		for i, rel := range rows {
			if i > 0 {
				body = append(body, ',')
			}
			body = w.appendRecord(body, related, rel, pq.sel)
		}
		body = append(body, "]}"...)
		resp = jsonResponse(http.StatusOK, body)
		resp.records = len(rows)
	})
	resp.op = "query"
	return resp
}
