package dynamics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

// recorder wraps the sink's transport and keeps what it sent; the requests
// still go to the emulator.
type recorder struct {
	next    http.RoundTripper
	mu      sync.Mutex
	sent    []*http.Request
	body    []string
	cookies []string // the Set-Cookie headers of the answers
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.sent = append(r.sent, req)
	r.body = append(r.body, string(body))
	r.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if resp != nil {
		r.mu.Lock()
		r.cookies = append(r.cookies, resp.Header.Values("Set-Cookie")...)
		r.mu.Unlock()
	}
	return resp, err
}

// openInternal opens a sink on an emulator with a recorder on its transport.
func openInternal(t *testing.T, srv *emulator.Server, schema *arrow.Schema, body string) (*Sink, *recorder, *testhost.Host) {
	t.Helper()
	conn := fmt.Sprintf("url = %q\nauth {\n tenant_id = %q\n client_id = %q\n client_secret = %q\n authority = %q\n ca_file = %q\n}\n",
		srv.URL(), srv.TenantID, srv.ClientID, srv.ClientSecret, srv.Authority(), srv.CAFile())
	s := testhost.MustBuild[*Sink](t, Plugin, conn+body)
	host := testhost.New(t)
	if err := s.Open(context.Background(), host, schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	rec := &recorder{next: s.httpClient.Transport}
	s.httpClient.Transport = rec
	return s, rec, host
}

func emailBatch(host *testhost.Host, emails ...string) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "email", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(host.Mem, schema)
	defer b.Release()
	for _, e := range emails {
		b.Field(0).(*array.StringBuilder).Append(e)
	}
	return b.NewRecordBatch()
}

func TestWriteOptionsAndHeadersReachTheService(t *testing.T) {
	srv := emulatortest.Start(t)
	for _, path := range []string{"bulk", "batch"} {
		t.Run(path, func(t *testing.T) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "email", Type: arrow.BinaryTypes.String}}, nil)
			s, rec, host := openInternal(t, srv, schema, `
table                 = "contact"
key                   = { emailaddress1 = "email" }
bypass_custom_plugins = true
duplicate_detection   = true
write_path            = "`+path+`"
mapping {
  lastname = "email"
}
`)
			batch := emailBatch(host, "a@x.com", "b@x.com")
			defer batch.Release()
			if _, err := s.Write(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			if len(rec.sent) != 1 {
				t.Fatalf("%d requests for one batch", len(rec.sent))
			}
			h := rec.sent[0].Header
			for k, v := range map[string]string{"MSCRM.BypassCustomPluginExecution": "true", "MSCRM.SuppressDuplicateDetection": "false"} {
				if got := h[k]; len(got) != 1 || got[0] != v {
					t.Errorf("header %s = %v, want %q spelt as Microsoft documents it", k, got, v)
				}
			}
			for k, v := range map[string]string{"OData-Version": "4.0", "OData-MaxVersion": "4.0", "Accept": "application/json"} {
				if h.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, h.Get(k), v)
				}
			}
			if !strings.HasPrefix(h.Get("Authorization"), "Bearer ") || h.Get("Cookie") != "" {
				t.Errorf("authorization %q, cookie %q", h.Get("Authorization"), h.Get("Cookie"))
			}
			// Dataverse pins a client to a web server with an ARRAffinity
			// cookie; sending it back would keep every request on one
			// server, whose limits then bind alone.
			if len(rec.cookies) == 0 || !strings.HasPrefix(rec.cookies[0], "ARRAffinity=") {
				t.Fatalf("the emulator set no affinity cookie (%q): the test proves nothing", rec.cookies)
			}
			again := emailBatch(host, "c@x.com")
			defer again.Release()
			if _, err := s.Write(context.Background(), again); err != nil {
				t.Fatal(err)
			}
			if c := rec.sent[len(rec.sent)-1].Header.Get("Cookie"); c != "" {
				t.Errorf("the sink sent back the cookie %q it was given", c)
			}
			if path == "batch" {
				if h.Get("Prefer") != "odata.continue-on-error" {
					t.Errorf("Prefer %q", h.Get("Prefer"))
				}
				if n := strings.Count(rec.body[0], "MSCRM.BypassCustomPluginExecution: true\r\n"); n != 2 {
					t.Errorf("%d parts carry the bypass header, want 2:\n%s", n, rec.body[0])
				}
			}
		})
	}
}
