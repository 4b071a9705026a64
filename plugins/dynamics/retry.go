package dynamics

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// Failure classes of a request.
type failure int

const (
	// failRows: the service refused the request's content; in a bulk
	// request one row is enough, so the sink isolates the rows.
	failRows failure = iota
	// failTransient: 5xx, a dropped connection, a timeout: worth retrying.
	failTransient
	// failThrottled: 429, waited out by the governor.
	failThrottled
	// failFatal: no row can be written (no token, no privilege on the
	// table, an unreachable environment): the run stops.
	failFatal
	// failUnsupported: the table does not take bulk messages after all.
	failUnsupported
	// failTooLarge: 413, split without blaming rows.
	failTooLarge
)

// Dataverse error codes the sink acts on.
const (
	codeRecordNotFound    = "0x80040217"
	codeDuplicateID       = "0x80040237"
	codeDuplicateKey      = "0x80060892"
	codePrivilegeDenied   = "0x80040220"
	codeNotMember         = "0x80072560"
	codeUnsupportedBulk   = "0x80040800"
	codeResourceNotFound  = "0x8006088a"
	codeUnexpectedGeneric = "0x80040216"
)

func classify(err error) failure {
	var ae *apiError
	var te *transportError
	var authErr *authError
	switch {
	case errors.As(err, &authErr):
		return failFatal
	case errors.As(err, &te):
		if isNetworkSetupError(te.err) {
			return failFatal
		}
		return failTransient
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusTooManyRequests:
			return failThrottled
		case ae.Status == http.StatusUnauthorized:
			return failFatal
		case ae.Status == http.StatusForbidden && (ae.Code == codePrivilegeDenied || ae.Code == codeNotMember):
			return failFatal
		case ae.Status == http.StatusRequestEntityTooLarge:
			return failTooLarge
		case ae.Code == codeUnsupportedBulk:
			return failUnsupported
		case ae.Status >= 500:
			return failTransient
		}
		return failRows
	}
	return failFatal
}

// gaveUpError is a request that failed transiently more often, or was
// throttled for longer, than the retry budget allows. Its rows are rejected
// with it.
type gaveUpError struct {
	attempts int
	elapsed  time.Duration
	last     error
}

func (e *gaveUpError) Error() string {
	return fmt.Sprintf("gave up after %d attempts over %s: %v", e.attempts, e.elapsed.Round(time.Millisecond), e.last)
}

func (e *gaveUpError) Unwrap() error { return e.last }

// send sends a request through the governor, waiting out throttling and
// retrying transient failures with exponential backoff and jitter, within
// max_attempts and retry_timeout. Every request the sink sends is safe to
// repeat (see write.go). ambiguous reports that an attempt may have been
// carried out without the sink learning its answer.
func (s *Sink) send(ctx context.Context, r *request) (resp *response, ambiguous bool, err error) {
	start := time.Now()
	attempts := 0
	for {
		if err := s.gov.acquire(ctx); err != nil {
			return nil, ambiguous, err
		}
		sent := time.Now()
		resp, err := s.client.do(ctx, r)
		if err == nil {
			s.gov.succeeded(resp.header, time.Since(sent))
			return resp, ambiguous, nil
		}
		if ctx.Err() != nil {
			s.gov.refused()
			return nil, ambiguous, ctx.Err()
		}
		class := classify(err)
		var ae *apiError
		switch class {
		case failThrottled:
			errors.As(err, &ae)
			s.gov.throttled(ae.RetryAfter, ae.Code)
			if time.Since(start) > s.cfg.RetryTimeout {
				return nil, ambiguous, &gaveUpError{attempts: attempts + 1, elapsed: time.Since(start), last: err}
			}
			continue
		case failTransient:
			s.gov.failed()
			attempts++
			var te *transportError
			if r.write && (!errors.As(err, &te) || te.sent) {
				ambiguous = true
			}
			if attempts >= s.cfg.MaxAttempts || time.Since(start) > s.cfg.RetryTimeout {
				return nil, ambiguous, &gaveUpError{attempts: attempts, elapsed: time.Since(start), last: err}
			}
			s.logger.Debug("retrying after a transient failure", "request", r.method+" "+shortPath(r.path), "attempt", attempts, "error", err)
			if err := sleepCtx(ctx, backoff(attempts)); err != nil {
				return nil, ambiguous, err
			}
			continue
		default:
			s.gov.refused()
			return nil, ambiguous, err
		}
	}
}

// backoff is the wait before retry number attempt: exponential from 500 ms
// up to 30 s, half of it fixed and half random ("equal jitter"), so that
// clients that failed together do not retry together, yet none comes back
// at once.
func backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << min(attempt-1, 6)
	d = min(d, 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
