package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
)

// apiRequest is one Web API request, from the wire or from inside a $batch.
type apiRequest struct {
	ctx      context.Context
	method   string
	resource string // path after /api/data/v9.x/, unescaped
	rawQuery string
	query    url.Values
	header   http.Header
	body     []byte
	root     string // service root as the client addressed it, e.g. https://127.0.0.1:8443/api/data/v9.2
	user     *appUser
	ids      contentIDs
	tx       *txn // set inside a change set
	inBatch  bool
}

// apiResponse is what a handler answers; records and ops feed the request log, the simulated cost and the
// execution-time budget.
type apiResponse struct {
	status  int
	header  http.Header
	body    []byte
	records int
	ops     int
	write   bool
	op      string
	err     *apiError
	// entityURL is the created or addressed record's URL (for Content-ID references in change sets).
	entityURL string
	// inner lists the operations of a $batch, for the request log.
	inner []*innerLog
}

type innerLog struct {
	method, path string
	resp         *apiResponse
	dur          time.Duration
}

func jsonResponse(status int, body []byte) *apiResponse {
	h := http.Header{}
	h.Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true")
	h.Set("OData-Version", "4.0")
	return &apiResponse{status: status, header: h, body: body}
}

func marshalResponse(status int, v any) *apiResponse {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResponse(newAPIError(http.StatusInternalServerError, codeUnexpected, "encode response: %v", err))
	}
	return jsonResponse(status, b)
}

func noContent() *apiResponse {
	h := http.Header{}
	h.Set("OData-Version", "4.0")
	return &apiResponse{status: http.StatusNoContent, header: h}
}

func errorResponse(e *apiError) *apiResponse {
	h := http.Header{}
	h.Set("Content-Type", "application/json; odata.metadata=minimal")
	h.Set("OData-Version", "4.0")
	body := []byte(`{"error":{"code":`)
	body = valfmt.AppendJSONString(body, e.Code)
	body = append(body, `,"message":`...)
	body = valfmt.AppendJSONString(body, e.Message)
	body = append(body, "}}"...)
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	return &apiResponse{status: e.Status, header: h, body: body, err: e}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP routes emulator requests: the Web API, the token authority and the inspection endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/api/data/"):
		s.serveWebAPI(w, r)
	case path == "/_emulator" || strings.HasPrefix(path, "/_emulator/"):
		s.serveInspection(w, r)
	case path == "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Sluice Dataverse emulator\nWeb API: %s/api/data/v9.2/\nAuthority: %s\nInspection: %s/_emulator/tables\n", s.requestBase(r), s.Authority(), s.requestBase(r))
	default:
		s.serveAuthority(w, r)
	}
}

// serveAuthority serves the Entra-like endpoints under /{tenant}/.
func (s *Server) serveAuthority(w http.ResponseWriter, r *http.Request) {
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch rest {
	case "v2.0/.well-known/openid-configuration":
		s.handleDiscovery(w, r, tenant, true)
	case ".well-known/openid-configuration":
		s.handleDiscovery(w, r, tenant, false)
	case "oauth2/v2.0/token":
		s.handleToken(w, r, tenant, true)
	case "oauth2/token":
		s.handleToken(w, r, tenant, false)
	case "discovery/v2.0/keys", "discovery/keys":
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{s.tokens.jwk()}})
	case "oauth2/v2.0/authorize", "oauth2/authorize":
		tokenError(w, http.StatusBadRequest, "unsupported_response_type", "AADSTS70000: The emulator supports only the client credentials grant.", 70000)
	default:
		http.NotFound(w, r)
	}
}

const maxURLLength = 32 * 1024

// serveWebAPI runs one Web API request through authentication, faults, service protection, the handler and the
// simulated cost, and logs it.
func (s *Server) serveWebAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	entry := &LogEntry{Time: start, Method: r.Method, Path: r.URL.RequestURI()}
	var resp *apiResponse
	var user *appUser
	// The entry is logged as the response starts, before the client can read it, so a client that has its answer
	// always finds its request in the log; the deferred call covers requests that end with no response at all.
	logged := false
	logEntry := func() {
		if logged {
			return
		}
		logged = true
		entry.Duration = time.Since(start)
		s.reqLog.add(entry)
		if resp != nil && user != nil {
			s.logInner(resp, user) // a $batch's own entry first, then its requests
		}
	}
	defer logEntry()
	w = &loggingWriter{ResponseWriter: w, entry: entry, logEntry: logEntry}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/api/data/")
	version, resource, _ := strings.Cut(rest, "/")
	switch version {
	case "v9.0", "v9.1", "v9.2":
	default:
		s.writeResponse(w, errorResponse(errResourceNotFound(version)), nil)
		return
	}
	if len(r.URL.RequestURI()) > maxURLLength {
		s.writeResponse(w, errorResponse(newAPIError(http.StatusRequestURITooLong, codeZero,
			"The request URL is %d characters long; the limit is %d.", len(r.URL.RequestURI()), maxURLLength)), nil)
		return
	}
	user, err := s.authenticate(r)
	if err != nil {
		s.logger.Debug("unauthenticated request", "path", r.URL.Path, "reason", err)
		s.challenge(w, r)
		return
	}
	entry.User = user.Name
	entry.ClientID = user.ClientID
	if user.NotInEnvironment {
		s.writeResponse(w, errorResponse(newAPIError(http.StatusForbidden, codeNotMemberOfOrganization, "The user is not a member of the organization.")), nil)
		return
	}
	if f := s.faults.pick(r.Method, resource, phaseBefore); f != nil {
		if s.applyFault(w, r, f, entry) {
			return
		}
	}
	release, aerr := s.throttle.acquire(user.ClientID, start)
	if aerr != nil {
		entry.Throttled = true
		s.writeResponse(w, errorResponse(aerr), user)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		release(time.Since(start))
		s.writeResponse(w, errorResponse(errBadRequest(codeNone, "Could not read the request body: %v", err)), user)
		return
	}
	unescaped, uerr := url.PathUnescape(resource)
	if uerr != nil {
		unescaped = resource
	}
	req := &apiRequest{
		ctx: r.Context(), method: r.Method, resource: unescaped, rawQuery: r.URL.RawQuery, query: r.URL.Query(),
		header: r.Header, body: body, root: s.requestBase(r) + "/api/data/" + version, user: user, ids: contentIDs{},
	}
	resp = s.dispatch(req)
	s.spendCost(r.Context(), resp)
	release(time.Since(start))
	entry.Records, entry.Write, entry.Operation = resp.records, resp.write, resp.op
	if resp.err != nil {
		entry.Error = resp.err.Code
	}
	if f := s.faults.pick(r.Method, resource, phaseAfter); f != nil {
		if s.applyFault(w, r, f, entry) {
			return
		}
	}
	s.writeResponse(w, resp, user)
}

// loggingWriter logs a request's entry when the response's status line is written.
type loggingWriter struct {
	http.ResponseWriter
	entry    *LogEntry
	logEntry func()
}

func (lw *loggingWriter) WriteHeader(status int) {
	lw.entry.Status = status
	lw.logEntry()
	lw.ResponseWriter.WriteHeader(status)
}

func (lw *loggingWriter) Write(b []byte) (int, error) {
	lw.logEntry() // an implicit 200, already recorded by the handler
	return lw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (a reset fault hijacks it).
func (lw *loggingWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }

// spendCost waits out the simulated server time of a response.
func (s *Server) spendCost(ctx context.Context, resp *apiResponse) {
	c := s.currentCost()
	ops := resp.ops
	if ops == 0 {
		ops = 1
	}
	d := time.Duration(ops)*c.PerRequest + time.Duration(resp.records)*c.PerRecord
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (s *Server) writeResponse(w http.ResponseWriter, resp *apiResponse, user *appUser) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	reqID := newGUID()
	h.Set("REQ_ID", reqID)
	h.Set("x-ms-service-request-id", reqID)
	if user != nil {
		for k, v := range s.throttle.headers(user.ClientID) {
			h.Set(k, v)
		}
		h.Add("Set-Cookie", s.affinityCookie())
	}
	if resp.body != nil && h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	if len(resp.body) > 0 {
		_, _ = w.Write(resp.body)
	}
}

// affinityCookie is the ARRAffinity cookie Dataverse's load balancer sets on
// every answer to pin a client to one web server. Clients that respect
// service protection limits must not send it back (each web server counts
// its own limits); setting it lets tests check that they do not.
func (s *Server) affinityCookie() string {
	sum := sha256.Sum256([]byte(s.hostPort))
	c := "ARRAffinity=" + hex.EncodeToString(sum[:]) + "; Path=/; HttpOnly"
	if s.scheme == "https" {
		c += "; Secure"
	}
	return c
}

// dispatch routes a request by its resource path.
func (s *Server) dispatch(req *apiRequest) *apiResponse {
	res := req.resource
	switch {
	case res == "":
		if req.method != http.MethodGet {
			return errorResponse(errNoHTTPResource(req.root + "/"))
		}
		return s.handleServiceDocument(req)
	case res == "$metadata":
		return s.handleCSDL(req)
	case res == "$batch":
		if req.inBatch {
			return errorResponse(errBadRequest(codeInvalidQuery, "Batches cannot be nested."))
		}
		if req.method != http.MethodPost {
			return errorResponse(errNoHTTPResource(req.root + "/$batch"))
		}
		return s.handleBatch(req)
	case res == "WhoAmI" || res == "WhoAmI()":
		if req.method != http.MethodGet {
			return errorResponse(errNoHTTPResource(req.root + "/" + res))
		}
		return s.handleWhoAmI(req)
	case res == "EntityDefinitions" || strings.HasPrefix(res, "EntityDefinitions(") || strings.HasPrefix(res, "EntityDefinitions/"):
		if req.method != http.MethodGet {
			return errorResponse(newAPIError(http.StatusMethodNotAllowed, codeNone, "The emulator's metadata is read-only; define tables in a tables file."))
		}
		return s.handleEntityDefinitions(req)
	case res == "sdkmessagefilters":
		return s.handleMessageFilters(req)
	}
	return s.dispatchTable(req)
}

func errMethodNotAllowed(method string) *apiError {
	return newAPIError(http.StatusMethodNotAllowed, codeNone, "The requested resource does not support http method '%s'.", method)
}

// dispatchTable handles <set>, <set>/$count, <set>/Microsoft.Dynamics.CRM.<Action>, <set>(key) and
// <set>(key)/<property or navigation>.
func (s *Server) dispatchTable(req *apiRequest) *apiResponse {
	res := req.resource
	head, tail, _ := strings.Cut(res, "/")
	if open := strings.IndexByte(res, '('); open > 0 && (strings.IndexByte(res, '/') < 0 || open < strings.IndexByte(res, '/')) {
		ref, ok := parseEntityRef(res)
		if !ok {
			return errorResponse(errResourceNotFound(res))
		}
		t, ok := s.schema.tableBySet(ref.set)
		if !ok {
			return errorResponse(errResourceNotFound(ref.set))
		}
		key, err := parseKeyPredicate(t, ref.predicate, true)
		if err != nil {
			return errorResponse(err)
		}
		addressed := req.root + "/" + t.EntitySetName + "(" + ref.predicate + ")"
		if ref.rest != "" {
			return s.handleRecordProperty(req, t, key, ref.rest, addressed)
		}
		switch req.method {
		case http.MethodGet:
			return s.handleRetrieve(req, t, key)
		case http.MethodPatch:
			return s.handleUpsert(req, t, key, addressed)
		case http.MethodDelete:
			return s.handleDelete(req, t, key)
		}
		return errorResponse(errMethodNotAllowed(req.method))
	}
	t, ok := s.schema.tableBySet(head)
	if !ok {
		return errorResponse(errResourceNotFound(head))
	}
	switch {
	case tail == "":
		switch req.method {
		case http.MethodGet:
			return s.checkPrivilege(req, t, PrivilegeRead, func() *apiResponse { return s.handleCollectionGet(req, t) })
		case http.MethodPost:
			return s.handleCreate(req, t)
		}
		return errorResponse(errMethodNotAllowed(req.method))
	case tail == "$count":
		if req.method != http.MethodGet {
			return errorResponse(errMethodNotAllowed(req.method))
		}
		return s.checkPrivilege(req, t, PrivilegeRead, func() *apiResponse { return s.handleCount(req, t) })
	case strings.HasPrefix(tail, "Microsoft.Dynamics.CRM."):
		action := strings.TrimPrefix(tail, "Microsoft.Dynamics.CRM.")
		if req.method != http.MethodPost {
			return errorResponse(errNoHTTPResource(req.root + "/" + res))
		}
		return s.handleBulk(req, t, action)
	}
	return errorResponse(errResourceNotFound(tail))
}

// checkPrivilege answers 403 when the caller lacks a privilege on the table, otherwise runs next.
func (s *Server) checkPrivilege(req *apiRequest, t *Table, p Privilege, next func() *apiResponse) *apiResponse {
	if err := s.privilegeError(req.user, t, p); err != nil {
		return errorResponse(err)
	}
	return next()
}

func (s *Server) privilegeError(u *appUser, t *Table, p Privilege) *apiError {
	if u == nil || !u.denied(t.LogicalName, p) {
		return nil
	}
	return newAPIError(http.StatusForbidden, codePrivilegeDenied,
		"Principal user (Id=%s, type=8, roleCount=1, privilegeCount=%d, accessMode=4), is missing prv%s%s privilege (Id=%s) on OTC=%d for entity '%s'. context.Caller=%s",
		u.systemUserID, 700, p, t.SchemaName, stableID("privilege", string(p), t.LogicalName), t.ObjectTypeCode, t.LogicalName, u.systemUserID)
}
