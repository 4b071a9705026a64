package emulator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"time"
)

const (
	maxBatchRequests = 1000
	maxBatchGetURL   = 64 * 1024
)

// batchItem is one request of a $batch: standalone, or one of a change set.
type batchItem struct {
	contentID string
	req       *apiRequest
	target    string // the request line's URL, for the log
	err       *apiError
}

// batchPart is a top-level part: a single request or a change set.
type batchPart struct {
	single    *batchItem
	changeSet []*batchItem
}

// handleBatch answers POST $batch (multipart/mixed): change sets are atomic, Content-ID references resolve inside
// them, and without Prefer: odata.continue-on-error processing stops at the first failure, whose status becomes the
// batch's.
func (s *Server) handleBatch(req *apiRequest) *apiResponse {
	parts, err := s.parseBatch(req)
	if err != nil {
		return errorResponse(err)
	}
	continueOnError := hasPreference(req.header, "odata.continue-on-error") || hasPreference(req.header, "continue-on-error")
	out := &batchWriter{boundary: "batchresponse_" + newGUID()}
	result := &apiResponse{status: http.StatusOK, op: "batch"}
	for _, p := range parts {
		var failed *apiResponse
		if p.single != nil {
			resp := s.runBatchItem(p.single, nil, result)
			out.part(p.single.contentID, resp)
			if resp.status >= 400 {
				failed = resp
			}
		} else {
			failed = s.runChangeSet(p.changeSet, out, result)
		}
		if failed != nil && !continueOnError {
			result.status = failed.status
			break
		}
	}
	body := out.finish()
	h := http.Header{}
	h.Set("Content-Type", "multipart/mixed; boundary="+out.boundary)
	h.Set("OData-Version", "4.0")
	result.header, result.body = h, body
	return result
}

// runBatchItem dispatches one request and accounts for it in the batch's totals.
func (s *Server) runBatchItem(it *batchItem, tx *txn, total *apiResponse) *apiResponse {
	start := time.Now()
	var resp *apiResponse
	if it.err == nil && strings.HasPrefix(it.target, "$") {
		u, err := it.req.ids.resolve(it.target)
		if err != nil {
			it.err = err
		} else {
			it.target = u
			it.err = s.resolveBatchTarget(it)
		}
	}
	if it.err != nil {
		resp = errorResponse(it.err)
	} else {
		it.req.tx = tx
		resp = s.dispatch(it.req)
	}
	total.ops++
	total.records += resp.records
	total.write = total.write || resp.write
	total.inner = append(total.inner, &innerLog{method: it.req.method, path: it.target, resp: resp, dur: time.Since(start)})
	return resp
}

// runChangeSet runs a change set in one transaction; on the first failure everything it did is rolled back and
// a single error response stands for the whole change set.
func (s *Server) runChangeSet(items []*batchItem, out *batchWriter, total *apiResponse) *apiResponse {
	var responses []*apiResponse
	var failed *apiResponse
	var failedItem *batchItem
	errFailed := errors.New("change set failed")
	_ = s.store.write(func(tx *txn) error {
		for _, it := range items {
			if it.err == nil && it.req.method == http.MethodGet {
				it.err = errBadRequest(codeInvalidQuery, "GET requests are not allowed inside a change set.")
			}
			resp := s.runBatchItem(it, tx, total)
			if resp.status >= 400 {
				failed, failedItem = resp, it
				return errFailed
			}
			if resp.entityURL != "" && it.contentID != "" {
				for _, later := range items {
					later.req.ids[it.contentID] = resp.entityURL
				}
			}
			responses = append(responses, resp)
		}
		return nil
	})
	if failed != nil {
		out.part(failedItem.contentID, failed)
		return failed
	}
	cs := &batchWriter{boundary: "changesetresponse_" + newGUID()}
	for i, resp := range responses {
		cs.part(items[i].contentID, resp)
	}
	out.raw("multipart/mixed; boundary="+cs.boundary, cs.finish())
	return nil
}

// parseBatch reads the multipart body into parts and requests.
func (s *Server) parseBatch(req *apiRequest) ([]batchPart, *apiError) {
	mt, params, err := mime.ParseMediaType(req.header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return nil, errBadRequest(codeInvalidQuery, "The content type of a $batch request must be multipart/mixed with a boundary.")
	}
	if bytes.Contains(req.body, []byte("\n")) && !bytes.Contains(req.body, []byte("\r\n")) {
		return nil, errPayload("$batch", "System.ArgumentException: Stream was not readable. (Every line of a $batch body must end with CRLF.)")
	}
	mr := multipart.NewReader(bytes.NewReader(req.body), params["boundary"])
	var parts []batchPart
	count := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errPayload("$batch", "Microsoft.OData.ODataException: The batch payload is malformed: "+err.Error())
		}
		pmt, pparams, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pmt == "multipart/mixed" {
			items, aerr := s.parseChangeSet(req, p, pparams["boundary"], &count)
			if aerr != nil {
				return nil, aerr
			}
			parts = append(parts, batchPart{changeSet: items})
			continue
		}
		it, aerr := s.parseBatchItem(req, p)
		if aerr != nil {
			return nil, aerr
		}
		count++
		parts = append(parts, batchPart{single: it})
		if count > maxBatchRequests {
			return nil, errBadRequest(codeZero, "The current batch message contains too many parts. A maximum number of '%d' query operations, including changeset operations, are allowed.", maxBatchRequests)
		}
	}
	if len(parts) == 0 {
		return nil, errPayload("$batch", "Microsoft.OData.ODataException: The batch payload contains no requests.")
	}
	return parts, nil
}

func (s *Server) parseChangeSet(req *apiRequest, p *multipart.Part, boundary string, count *int) ([]*batchItem, *apiError) {
	if boundary == "" {
		return nil, errPayload("$batch", "Microsoft.OData.ODataException: A change set has no boundary.")
	}
	body, err := io.ReadAll(p)
	if err != nil {
		return nil, errPayload("$batch", "Microsoft.OData.ODataException: "+err.Error())
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	ids := contentIDs{}
	var items []*batchItem
	for {
		cp, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errPayload("$batch", "Microsoft.OData.ODataException: The change set is malformed: "+err.Error())
		}
		it, aerr := s.parseBatchItem(req, cp)
		if aerr != nil {
			return nil, aerr
		}
		if it.contentID == "" {
			return nil, errBadRequest(codeInvalidQuery, "Content-ID header not present in a change set request.")
		}
		it.req.ids = ids
		items = append(items, it)
		*count++
		if len(items) > maxBatchRequests {
			return nil, errBadRequest(codeZero, "The current change set contains too many operations. A maximum number of '%d' operations are allowed in a change set.", maxBatchRequests)
		}
		if *count > maxBatchRequests {
			return nil, errBadRequest(codeZero, "The current batch message contains too many parts. A maximum number of '%d' query operations, including changeset operations, are allowed.", maxBatchRequests)
		}
	}
	return items, nil
}

// parseBatchItem reads an application/http part: request line, headers, body.
func (s *Server) parseBatchItem(outer *apiRequest, p *multipart.Part) (*batchItem, *apiError) {
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/http") {
		return nil, errPayload("$batch", fmt.Sprintf("Microsoft.OData.ODataException: The content type '%s' of a batch part is not 'application/http'.", ct))
	}
	raw, err := io.ReadAll(p)
	if err != nil {
		return nil, errPayload("$batch", "Microsoft.OData.ODataException: "+err.Error())
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	for err == nil && strings.TrimSpace(line) == "" {
		line, err = tp.ReadLine()
	}
	if err != nil {
		return nil, errPayload("$batch", "Microsoft.OData.ODataException: A batch part has no request line.")
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return nil, errPayload("$batch", fmt.Sprintf("Microsoft.OData.ODataException: The request line '%s' is not valid.", line))
	}
	hdr, herr := tp.ReadMIMEHeader()
	if herr != nil && herr != io.EOF {
		return nil, errPayload("$batch", "Microsoft.OData.ODataException: Invalid headers in a batch part: "+herr.Error())
	}
	body, _ := io.ReadAll(br)
	if len(bytes.TrimSpace(body)) == 0 {
		body = nil
	}
	it := &batchItem{contentID: p.Header.Get("Content-ID"), target: fields[1]}
	it.req = &apiRequest{ctx: outer.ctx, method: strings.ToUpper(fields[0]), header: http.Header(hdr), body: body, root: outer.root,
		user: outer.user, ids: contentIDs{}, inBatch: true}
	if it.req.method == http.MethodGet && len(fields[1]) > maxBatchGetURL {
		it.err = newAPIError(http.StatusRequestURITooLong, codeZero, "The request URL is %d characters long; the limit inside $batch is %d.", len(fields[1]), maxBatchGetURL)
		return it, nil
	}
	return it, s.resolveBatchTarget(it)
}

// resolveBatchTarget fills in the resource and query of a batch item from its request-line URL, which may be
// absolute, server-relative (/api/data/v9.2/...), relative to the service root, or a $n reference.
func (s *Server) resolveBatchTarget(it *batchItem) *apiError {
	target := it.target
	if strings.HasPrefix(target, "$") {
		it.req.resource = target // resolved when the change set runs
		return nil
	}
	path, rawQuery, _ := strings.Cut(target, "?")
	if i := strings.Index(path, "/api/data/"); i >= 0 {
		rest := path[i+len("/api/data/"):]
		version, res, _ := strings.Cut(rest, "/")
		if version != "v9.0" && version != "v9.1" && version != "v9.2" {
			it.err = errResourceNotFound(version)
			return nil
		}
		base := it.req.root[:strings.Index(it.req.root, "/api/data/")]
		it.req.root = base + "/api/data/" + version
		path = res
	}
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		unescaped = path
	}
	it.req.resource = strings.TrimPrefix(unescaped, "/")
	it.req.rawQuery = rawQuery
	it.req.query, _ = url.ParseQuery(rawQuery)
	return nil
}

// batchWriter writes a multipart/mixed response with CRLF line ends.
type batchWriter struct {
	boundary string
	buf      bytes.Buffer
}

func (bw *batchWriter) part(contentID string, resp *apiResponse) {
	b := &bw.buf
	b.WriteString("--" + bw.boundary + "\r\n")
	b.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
	if contentID != "" {
		b.WriteString("Content-ID: " + contentID + "\r\n")
	}
	b.WriteString("\r\n")
	fmt.Fprintf(b, "HTTP/1.1 %d %s\r\n", resp.status, http.StatusText(resp.status))
	for _, kv := range partHeaders(resp) {
		b.WriteString(kv[0] + ": " + kv[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(resp.body)
	b.WriteString("\r\n")
}

// raw writes a nested multipart (a change set's responses).
func (bw *batchWriter) raw(contentType string, body []byte) {
	bw.buf.WriteString("--" + bw.boundary + "\r\n")
	bw.buf.WriteString("Content-Type: " + contentType + "\r\n\r\n")
	bw.buf.Write(body)
}

func (bw *batchWriter) finish() []byte {
	bw.buf.WriteString("--" + bw.boundary + "--\r\n")
	return bw.buf.Bytes()
}

// partHeaders orders a response's headers as the service does inside $batch.
func partHeaders(resp *apiResponse) [][2]string {
	var out [][2]string
	h := resp.header.Clone()
	if resp.status >= 400 {
		out = append(out, [2]string{"REQ_ID", newGUID()})
	}
	for _, name := range []string{"Content-Type", "OData-Version", "Location", "OData-EntityId", "ETag", "Preference-Applied", "Retry-After"} {
		if name == "Location" && resp.status == http.StatusNoContent && resp.op == "create" && h.Get("OData-EntityId") != "" {
			out = append(out, [2]string{"Location", h.Get("OData-EntityId")})
			continue
		}
		if v := h.Get(name); v != "" {
			out = append(out, [2]string{name, v})
		}
		h.Del(name)
	}
	var rest []string
	for k := range h {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, [2]string{k, h.Get(k)})
	}
	return out
}
