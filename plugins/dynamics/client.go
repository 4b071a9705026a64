package dynamics

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluicedata/sluice/sdk"
)

// client sends Web API requests: it adds the OData headers and a bearer
// token, and decodes Dataverse's error bodies. It has no cookie jar, so the
// service's affinity cookie is never sent back and requests spread over the
// environment's web servers, each of which counts its own limits.
type client struct {
	http    *http.Client
	api     string // https://host/api/data/v9.2
	tokens  *tokenSource
	timeout time.Duration
	// writeHeaders go on every write, spelt as Microsoft documents them:
	// plug-in bypass, duplicate detection.
	writeHeaders [][2]string
}

const userAgent = "sluice-dynamics/1.0"

// newHTTPClient returns an HTTP/1.1 client trusting the system's CAs and
// caFile's. HTTP/1.1 with a connection per concurrent request is what
// Microsoft's guidance assumes; one HTTP/2 connection would pin every
// request to one web server.
func newHTTPClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 128
	tr.MaxIdleConnsPerHost = 64
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, sdk.Errorf(sdk.Path{"auth", "ca_file"}, "reading the CA file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, sdk.Errorf(sdk.Path{"auth", "ca_file"}, "%s holds no PEM certificate", caFile)
		}
		tlsConf.RootCAs = pool
	}
	tr.TLSClientConfig = tlsConf
	return &http.Client{Transport: tr}, nil
}

// request is one Web API request. path is relative to the Web API root and
// already escaped, query included.
type request struct {
	method string
	path   string
	header http.Header
	body   []byte
	write  bool
}

// response is a Web API answer with a status below 400.
type response struct {
	status int
	header http.Header
	body   []byte
}

// apiError is a Web API answer with a status of 400 or more.
type apiError struct {
	Status     int
	Code       string // Dataverse's hex code, such as 0x80044331, often empty
	Message    string
	RetryAfter time.Duration
}

func (e *apiError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// transportError is a request that got no answer: the connection failed,
// was dropped, or the request timed out. If the request had been sent, it
// may have been carried out.
type transportError struct {
	err  error
	sent bool
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// do sends a request with a token, retrying once with a new token if the
// service refuses the current one.
func (c *client) do(ctx context.Context, r *request) (*response, error) {
	for attempt := 0; ; attempt++ {
		token, err := c.tokens.get(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, r, token)
		var ae *apiError
		if attempt == 0 && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			c.tokens.drop(token)
			continue
		}
		return resp, err
	}
}

func (c *client) send(ctx context.Context, r *request, token string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.api+"/"+r.path, body)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	h := req.Header
	h.Set("Accept", "application/json")
	h.Set("OData-MaxVersion", "4.0")
	h.Set("OData-Version", "4.0")
	h.Set("User-Agent", userAgent)
	h.Set("Authorization", "Bearer "+token)
	if r.method == http.MethodGet {
		h.Set("If-None-Match", "null")
	}
	if r.body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	if r.write {
		for _, kv := range c.writeHeaders {
			h[kv[0]] = []string{kv[1]}
		}
	}
	for k, v := range r.header {
		h[k] = v
	}
	var sent atomic.Bool
	trace := withWroteRequest(ctx, func() { sent.Store(true) })
	resp, err := c.http.Do(req.WithContext(trace))
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
			return nil, &transportError{err: fmt.Errorf("%s %s: no answer within %s", r.method, shortPath(r.path), c.timeout), sent: sent.Load()}
		}
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, &transportError{err: fmt.Errorf("%s %s: %w", r.method, shortPath(r.path), scrubURL(err)), sent: sent.Load()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, &transportError{err: fmt.Errorf("%s %s: reading the answer: %w", r.method, shortPath(r.path), err), sent: true}
	}
	if resp.StatusCode >= 400 {
		return nil, decodeError(resp.StatusCode, resp.Header, data)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// shortPath is a request path for messages: without the query, which may
// hold key values.
func shortPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if i := strings.IndexByte(p, '('); i >= 0 {
		p = p[:i] + "(…)"
	}
	return p
}

// scrubURL drops the URL from a *url.Error, keeping its cause: the URL can
// hold key values.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// withWroteRequest calls fn once the request has been written to the
// connection: from then on the service may carry it out.
func withWroteRequest(ctx context.Context, fn func()) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { fn() }})
}

// decodeError reads Dataverse's {"error":{"code","message"}} body.
func decodeError(status int, h http.Header, body []byte) *apiError {
	e := &apiError{Status: status}
	var doc struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil && (doc.Error.Code != "" || doc.Error.Message != "") {
		e.Code, e.Message = doc.Error.Code, doc.Error.Message
	} else {
		text := strings.TrimSpace(string(body))
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		if text == "" {
			text = http.StatusText(status)
		}
		e.Message = text
	}
	if ra := h.Get("Retry-After"); ra != "" {
		if secs, err := strconv.ParseFloat(ra, 64); err == nil && secs >= 0 {
			e.RetryAfter = time.Duration(secs * float64(time.Second))
		} else if t, err := http.ParseTime(ra); err == nil {
			e.RetryAfter = max(0, time.Until(t))
		}
	}
	return e
}

// isNetworkSetupError reports errors that no retry fixes: a host that does
// not resolve, a certificate that is not trusted.
func isNetworkSetupError(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return true
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &certErr)
}
