package dynamics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// How rows travel, per operation:
//
//	          bulk (the table supports it)          $batch (otherwise)
//	upsert    UpsertMultiple, @odata.id = key      PATCH <set>(<key>)
//	create    CreateMultiple, id chosen by sink    POST <set>, id chosen by sink
//	update    UpdateMultiple by id (looked up)     PATCH <set>(<key>) with If-Match: *
//	delete    —                                    DELETE <set>(<key>)
//
// Every request is safe to send again, which is what lets the sink retry
// after a dropped connection or a 5xx without knowing whether the first
// attempt was carried out: upserts and updates by key set the same values
// again; deletes find nothing the second time, which counts as deleted; and
// creates carry an id the sink chose, so a create that already happened
// answers "duplicate id", which counts as created — it cannot be anyone
// else's record. Creates are never repeated blindly.
//
// A bulk request is one transaction: one bad row fails it all. The sink then
// splits it in halves and sends them again, so good rows land, down to
// pieces of isolateBatch rows, which go through $batch with
// continue-on-error to get each row's own error.

// writer sends rows with one operation: the sink's own, for Write, or the
// delete or update a leave action needs (see leave.go). The write path is
// the same for both.
type writer struct {
	*Sink
	op string
	// onMissing is what happens to a row whose record does not exist, for
	// update and delete: "skip" (counted as skipped) or "reject".
	onMissing string
	// batchOnly sends through $batch even where the sink uses the bulk
	// messages.
	batchOnly bool
}

// isolateBatch is the size at which a failing bulk piece is sent as $batch.
const isolateBatch = 8

// batchParts is how many requests go in one $batch. Dataverse allows 1,000,
// but runs them one after another: smaller batches sent concurrently finish
// sooner and fail smaller.
const batchParts = 100

// writeItems writes prepared rows whose keys this Write holds.
func (s *writer) writeItems(ctx context.Context, items []*item, out *outcome) error {
	var err error
	items, err = s.resolveKeys(ctx, items, out)
	if err != nil {
		return err
	}
	if items, err = s.resolveLookups(ctx, items, out); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	if s.useBulk() {
		return s.sendBulk(ctx, items, out)
	}
	return s.sendBatch(ctx, items, out)
}

// useBulk reports whether the bulk messages are in use for this operation.
func (s *writer) useBulk() bool {
	return s.bulk.Load() && s.op != opDelete && !s.batchOnly
}

// resolveKeys looks up the ids the chosen path needs: rows whose key cannot
// go into a URL, updates through UpdateMultiple, and upserts whose outcome
// is counted.
func (s *writer) resolveKeys(ctx context.Context, items []*item, out *outcome) ([]*item, error) {
	ks := s.mapping.key
	if len(ks.parts) == 0 || ks.primary {
		return items, nil
	}
	op := s.op
	var need []*item
	for _, it := range items {
		switch {
		case !it.key.urlSafe,
			op == opUpdate && s.useBulk(),
			op == opUpsert && s.cfg.CountCreated:
			need = append(need, it)
		}
	}
	if len(need) == 0 {
		return items, nil
	}
	keys := make([]*rowKey, len(need))
	for i, it := range need {
		keys[i] = it.key
	}
	found, err := s.findIDs(ctx, s.table, ks, keys)
	if err != nil {
		if classify(err) == failFatal {
			return nil, s.fatal(err)
		}
		for _, it := range need {
			out.reject(it.row, errorCode(err), "looking up the record by its key: "+err.Error())
		}
		return without(items, need), nil
	}
	var drop []*item
	for _, it := range need {
		id, ok := found[it.key.canon]
		switch {
		case ok:
			it.existed = 1
			if !it.key.urlSafe || op == opUpdate {
				it.id = id
			}
		case op == opUpdate || op == opDelete:
			s.missing(it, out)
			drop = append(drop, it)
		default:
			it.existed = 0
			if !it.key.urlSafe {
				it.id, it.newByID = newID(), true
			}
		}
	}
	return without(items, drop), nil
}

// resolveLookups turns lookups by keys that cannot go into a URL into
// lookups by id, one query per target table and batch.
func (s *Sink) resolveLookups(ctx context.Context, items []*item, out *outcome) ([]*item, error) {
	byField := map[*field][]*rowKey{}
	for _, it := range items {
		for _, p := range it.pending {
			byField[p.f] = append(byField[p.f], p.key)
		}
	}
	if len(byField) == 0 {
		return items, nil
	}
	ids := map[*field]map[string]string{}
	for f, keys := range byField {
		found, err := s.findIDs(ctx, f.target, f.byKey, keys)
		if err != nil {
			if classify(err) == failFatal {
				return nil, s.fatal(err)
			}
			found = nil
		}
		ids[f] = found
	}
	var drop []*item
	for _, it := range items {
		for _, p := range it.pending {
			found := ids[p.f]
			id, ok := found[p.key.canon]
			if !ok {
				msg := fmt.Sprintf("%s: no %s has %s", p.f.spec.Column, p.f.target.LogicalName, describeKey(p.f.byKey, p.key))
				if found == nil {
					msg = fmt.Sprintf("%s: the %s could not be looked up", p.f.spec.Column, p.f.target.LogicalName)
				}
				out.reject(it.row, codeLookup, msg)
				drop = append(drop, it)
				break
			}
			it.fields = appendMember(it.fields, p.f.prefix)
			it.fields = valfmt.AppendJSONString(it.fields, "/"+p.f.target.EntitySetName+"("+id+")")
		}
		it.pending = nil
	}
	return without(items, drop), nil
}

func describeKey(ks *keySpec, rk *rowKey) string {
	var parts []string
	for i, p := range ks.parts {
		parts = append(parts, p.name+" = "+ks.literalOf(i, rk.vals[i]))
	}
	return strings.Join(parts, " and ")
}

func without(items, drop []*item) []*item {
	if len(drop) == 0 {
		return items
	}
	gone := make(map[*item]bool, len(drop))
	for _, it := range drop {
		gone[it] = true
	}
	out := items[:0:0]
	for _, it := range items {
		if !gone[it] {
			out = append(out, it)
		}
	}
	return out
}

// missing settles a row whose record does not exist, for update and delete.
func (s *writer) missing(it *item, out *outcome) {
	if s.onMissing == "reject" {
		what := "the record"
		if it.key != nil {
			what = "the record with " + describeKey(s.mapping.key, it.key)
		}
		out.reject(it.row, codeMissing, fmt.Sprintf("%s does not exist in %s", what, s.table.LogicalName))
		return
	}
	out.add(func(r *sdk.WriteResult) { r.Skipped++ })
}

// written settles a row the service accepted.
func (s *writer) written(it *item, out *outcome) {
	out.add(func(r *sdk.WriteResult) {
		switch s.op {
		case opCreate:
			r.Created++
		case opUpdate:
			r.Updated++
		case opDelete:
			r.Deleted++
		case opUpsert:
			if !s.cfg.CountCreated {
				return // known for some rows only: reporting those would mislead
			}
			switch it.existed {
			case 0:
				r.Created++
			case 1:
				r.Updated++
			}
		}
	})
}

// failedRow settles a row the service refused.
func (s *writer) failedRow(it *item, err error, out *outcome) {
	var ae *apiError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusNotFound && (s.op == opUpdate || s.op == opDelete) && s.ownRecordMissing(ae, it):
			if s.op == opDelete && it.ambiguous {
				s.written(it, out) // an earlier attempt deleted it
				return
			}
			s.missing(it, out)
			return
		case ae.Status == http.StatusPreconditionFailed && ae.Code == codeDuplicateID && it.newByID:
			// The id is one the sink chose: only an earlier attempt of this
			// row can have created it.
			s.written(it, out)
			return
		}
	}
	out.reject(it.row, errorCode(err), rowMessage(err))
}

// ownRecordMissing tells a 404 about the row's own record from one about
// a record a lookup points to, which must reject the row rather than skip
// it. Dataverse names the table (and the id) of the record it did not
// find: "contact With Id = … Does Not Exist", "A record with the specified
// key values does not exist in contact entity".
func (s *writer) ownRecordMissing(ae *apiError, it *item) bool {
	if ae.Code != codeRecordNotFound && ae.Code != "" {
		return false
	}
	if s.op == opDelete {
		return true // a delete sends no lookups
	}
	msg, table := ae.Message, s.table.LogicalName
	switch {
	case it.id != "" && strings.Contains(strings.ToLower(msg), it.id):
		return true
	case strings.HasPrefix(msg, table+" With Id"):
		return it.id == ""
	}
	return strings.Contains(msg, " "+table+" entity")
}

// errorCode is the code a rejected row carries: Dataverse's own, or one of
// the sink's.
func errorCode(err error) string {
	var gu *gaveUpError
	if errors.As(err, &gu) {
		if classify(gu.last) == failThrottled {
			return codeThrottled
		}
		return codeRetryBudget
	}
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.Code != "" && ae.Code != "0x0" {
			return ae.Code
		}
		return fmt.Sprintf("http.%d", ae.Status)
	}
	return codeUnknown
}

// rowMessage is the reason a rejected row carries.
func rowMessage(err error) string {
	var ae *apiError
	var gu *gaveUpError
	if errors.As(err, &gu) {
		return err.Error()
	}
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// sendBulk sends items as one bulk request and, if it fails because of some
// of its rows, isolates them.
func (s *writer) sendBulk(ctx context.Context, items []*item, out *outcome) error {
	err := s.tryBulk(ctx, items, out)
	if err == nil {
		return nil
	}
	return s.afterBulkFailure(ctx, items, err, out, false)
}

// tryBulk sends one bulk request. On success it settles the rows and
// returns nil; otherwise the rows are not settled.
func (s *writer) tryBulk(ctx context.Context, items []*item, out *outcome) error {
	body, err := s.bulkBody(items)
	if err != nil {
		return err
	}
	_, ambiguous, err := s.send(ctx, &request{method: http.MethodPost, path: s.table.EntitySetName + "/Microsoft.Dynamics.CRM." + s.bulkMessage(), body: body, write: true})
	if ambiguous {
		for _, it := range items {
			it.ambiguous = true
		}
	}
	if err != nil {
		return err
	}
	for _, it := range items {
		s.written(it, out)
	}
	return nil
}

// afterBulkFailure settles the rows of a failed bulk request. A failure
// that concerns rows splits the request in halves, sent concurrently, and
// recurses into the halves that fail; pieces of isolateBatch rows go
// through $batch for each row's own answer. When both halves of a piece
// fail, bad rows are dense, and halves small enough for one $batch go there
// directly: bisecting further would resend every row many times.
func (s *writer) afterBulkFailure(ctx context.Context, items []*item, err error, out *outcome, dense bool) error {
	switch classify(err) {
	case failFatal:
		return s.fatal(err)
	case failUnsupported:
		if s.bulk.CompareAndSwap(true, false) {
			s.logger.Warn("the table refused a bulk message; writing through $batch from now on", "table", s.table.LogicalName, "error", err)
		}
		return s.sendBatch(ctx, items, out)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case !splittable(err):
		for _, it := range items {
			s.failedRow(it, err, out)
		}
		return nil
	case s.op == opCreate && isDuplicateID(err):
		// A retry after an answer that never came: the first attempt may
		// have created the rows. Ask row by row.
		return s.sendBatch(ctx, items, out)
	case len(items) == 1:
		s.failedRow(items[0], err, out)
		return nil
	case len(items) <= isolateBatch, dense && len(items) <= batchParts:
		return s.sendBatch(ctx, items, out)
	}
	s.logger.Debug("a bulk request failed; splitting it to isolate the rows at fault", "rows", len(items), "error", err)
	halves := [2][]*item{items[:len(items)/2], items[len(items)/2:]}
	var errs [2]error
	s.both(func(i int) { errs[i] = s.tryBulk(ctx, halves[i], out) })
	bothFailed := errs[0] != nil && errs[1] != nil && classify(errs[0]) == failRows && classify(errs[1]) == failRows
	var results [2]error
	s.both(func(i int) {
		if errs[i] != nil {
			results[i] = s.afterBulkFailure(ctx, halves[i], errs[i], out, bothFailed)
		}
	})
	return errors.Join(results[0], results[1])
}

// both runs fn(0) and fn(1) concurrently.
func (s *Sink) both(fn func(i int)) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		fn(0)
	}()
	fn(1)
	wg.Wait()
}

// splittable reports whether a failed request may have failed because of
// some of its rows, so that sending them in smaller pieces tells good rows
// from bad. Throttling and unavailability that outlasted the retry budget
// are not: smaller pieces would only fail the same way, more often. A 500
// is: a plug-in that crashes on one row answers 500.
func splittable(err error) bool {
	var gu *gaveUpError
	if errors.As(err, &gu) {
		var ae *apiError
		return errors.As(gu.last, &ae) && ae.Status == http.StatusInternalServerError
	}
	return true
}

func isDuplicateID(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed && ae.Code == codeDuplicateID
}

func (s *writer) bulkMessage() string {
	switch s.op {
	case opCreate:
		return "CreateMultiple"
	case opUpdate:
		return "UpdateMultiple"
	}
	return "UpsertMultiple"
}

// bulkBody builds {"Targets":[…]}.
func (s *writer) bulkBody(items []*item) ([]byte, error) {
	size := 16
	for _, it := range items {
		size += len(it.fields) + len(s.odataType) + 128
	}
	b := make([]byte, 0, size)
	b = append(b, `{"Targets":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = append(b, s.odataType...)
		members, err := s.addressMembers(it, true)
		if err != nil {
			return nil, err
		}
		if len(members) > 0 {
			b = append(b, ',')
			b = append(b, members...)
		}
		if len(it.fields) > 0 {
			b = append(b, ',')
			b = append(b, it.fields...)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

// addressMembers are the JSON members that identify a row's record in a
// body: the id, with the key columns when the record may be new; for bulk
// upserts by alternate key, @odata.id.
func (s *writer) addressMembers(it *item, bulk bool) ([]byte, error) {
	var b []byte
	switch {
	case it.id != "":
		b = append(b, s.idPrefix...)
		b = valfmt.AppendJSONString(b, it.id)
		if it.newByID && !s.mapping.key.primary && it.key != nil {
			km, err := s.mapping.keyMembers(it.key)
			if err != nil {
				return nil, err
			}
			b = append(b, ',')
			b = append(b, km...)
		}
	case bulk && it.key != nil:
		b = append(b, `"@odata.id":`...)
		b = valfmt.AppendJSONString(b, s.table.EntitySetName+"("+s.mapping.key.predicate(it.key, false)+")")
	}
	return b, nil
}

// sendBatch sends items through $batch, batchParts at a time, concurrently.
func (s *writer) sendBatch(ctx context.Context, items []*item, out *outcome) error {
	if len(items) <= batchParts {
		return s.batchChunk(ctx, items, out)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for start := 0; start < len(items); start += batchParts {
		chunk := items[start:min(start+batchParts, len(items))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.batchChunk(ctx, chunk, out); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// batchChunk sends one $batch with continue-on-error and settles each row
// by its own answer; rows whose answer was transient are sent again.
func (s *writer) batchChunk(ctx context.Context, items []*item, out *outcome) error {
	pending := items
	var lastErr = map[*item]error{}
	for attempt := 1; ; attempt++ {
		parts := make([]batchPart, len(pending))
		for i, it := range pending {
			p, err := s.part(it)
			if err != nil {
				return err
			}
			parts[i] = p
		}
		body, contentType := encodeBatch(s.apiPath, parts)
		resp, ambiguous, err := s.send(ctx, &request{method: http.MethodPost, path: "$batch", body: body, write: true,
			header: http.Header{"Content-Type": {contentType}, "Prefer": {"odata.continue-on-error"}}})
		if ambiguous {
			for _, it := range pending {
				it.ambiguous = true
			}
		}
		if err != nil {
			switch classify(err) {
			case failFatal:
				return s.fatal(err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if len(pending) > 1 && splittable(err) {
				// The batch as a whole was refused: halve it.
				half := len(pending) / 2
				return errors.Join(s.batchChunk(ctx, pending[:half], out), s.batchChunk(ctx, pending[half:], out))
			}
			for _, it := range pending {
				s.failedRow(it, err, out)
			}
			return nil
		}
		answers, err := decodeBatch(resp.header.Get("Content-Type"), resp.body)
		if err == nil && len(answers) != len(pending) {
			err = fmt.Errorf("the $batch answer has %d parts for %d requests", len(answers), len(pending))
		}
		if err != nil {
			return s.fatal(fmt.Errorf("writing to %s: %w", s.table.LogicalName, err))
		}
		var retry []*item
		var fatal error
		for i, a := range answers {
			it := pending[i]
			if a.status < 400 {
				s.written(it, out)
				continue
			}
			perr := decodeError(a.status, a.header, a.body)
			switch classify(perr) {
			case failThrottled, failTransient:
				if a.status >= 500 {
					it.ambiguous = true
				}
				lastErr[it] = perr
				retry = append(retry, it)
			case failFatal:
				fatal = perr
				s.failedRow(it, perr, out)
			default:
				s.failedRow(it, perr, out)
			}
		}
		if fatal != nil {
			for _, it := range retry {
				s.failedRow(it, fatal, out)
			}
			return s.fatal(fatal)
		}
		if len(retry) == 0 {
			return nil
		}
		if attempt >= s.cfg.MaxAttempts {
			for _, it := range retry {
				s.failedRow(it, &gaveUpError{attempts: attempt, last: lastErr[it]}, out)
			}
			return nil
		}
		wait := backoff(attempt)
		for _, it := range retry {
			var ae *apiError
			if errors.As(lastErr[it], &ae) && ae.RetryAfter > wait {
				wait = ae.RetryAfter
			}
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
		pending = retry
	}
}

// part is the $batch request of one row.
func (s *writer) part(it *item) (batchPart, error) {
	set := s.table.EntitySetName
	addr := ""
	switch {
	case it.id != "":
		addr = set + "(" + it.id + ")"
	case it.key != nil:
		addr = set + "(" + s.mapping.key.predicate(it.key, true) + ")"
	}
	body := func(withAddress bool) ([]byte, error) {
		b := []byte{'{'}
		if withAddress {
			m, err := s.addressMembers(it, false)
			if err != nil {
				return nil, err
			}
			b = append(b, m...)
		} else if it.newByID {
			km, err := s.mapping.keyMembers(it.key)
			if err != nil {
				return nil, err
			}
			b = append(b, km...)
		}
		if len(it.fields) > 0 {
			if len(b) > 1 {
				b = append(b, ',')
			}
			b = append(b, it.fields...)
		}
		return append(b, '}'), nil
	}
	switch s.op {
	case opCreate:
		b, err := body(true)
		return batchPart{method: http.MethodPost, url: set, body: b, header: s.partHeaders(nil)}, err
	case opUpdate:
		b, err := body(false)
		return batchPart{method: http.MethodPatch, url: addr, body: b, header: s.partHeaders(map[string]string{"If-Match": "*"})}, err
	case opDelete:
		return batchPart{method: http.MethodDelete, url: addr, header: s.partHeaders(nil)}, nil
	}
	b, err := body(false)
	return batchPart{method: http.MethodPatch, url: addr, body: b, header: s.partHeaders(nil)}, err
}

// partHeaders adds the write options to a part's own headers: Dataverse
// reads them per request.
func (s *Sink) partHeaders(h map[string]string) map[string]string {
	if len(s.client.writeHeaders) == 0 {
		return h
	}
	out := make(map[string]string, len(h)+len(s.client.writeHeaders))
	for k, v := range h {
		out[k] = v
	}
	for _, kv := range s.client.writeHeaders {
		out[kv[0]] = kv[1]
	}
	return out
}

// fatalError stops the run: nothing more can be written.
type fatalError struct {
	err    error
	advice string
}

func (e *fatalError) Error() string {
	if e.advice == "" {
		return e.err.Error()
	}
	return e.err.Error() + "\n\n" + e.advice
}

func (e *fatalError) Unwrap() error { return e.err }

// fatal wraps err with advice, once.
func (s *Sink) fatal(err error) error {
	var fe *fatalError
	if errors.As(err, &fe) {
		return err
	}
	return &fatalError{err: err, advice: s.advice(err)}
}
