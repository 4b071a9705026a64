package emulator_test

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"testing"
)

// batchReq is one request of a $batch under construction.
type batchReq struct {
	method, url string
	body        any
	contentID   string
}

// batchBody builds a multipart/mixed $batch body; each element is a batchReq or a []batchReq change set.
func batchBody(items ...any) (string, string) {
	var b strings.Builder
	writeReq := func(boundary string, r batchReq) {
		b.WriteString("--" + boundary + "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
		if r.contentID != "" {
			b.WriteString("Content-ID: " + r.contentID + "\r\n")
		}
		b.WriteString("\r\n" + r.method + " " + r.url + " HTTP/1.1\r\n")
		if r.body != nil {
			raw, _ := json.Marshal(r.body)
			b.WriteString("Content-Type: application/json; type=entry\r\n\r\n" + string(raw) + "\r\n")
		} else {
			b.WriteString("\r\n\r\n")
		}
	}
	for i, it := range items {
		switch x := it.(type) {
		case batchReq:
			writeReq("batch_B", x)
		case []batchReq:
			cs := fmt.Sprintf("changeset_%d", i)
			b.WriteString("--batch_B\r\nContent-Type: multipart/mixed; boundary=\"" + cs + "\"\r\n\r\n")
			for _, r := range x {
				writeReq(cs, r)
			}
			b.WriteString("--" + cs + "--\r\n")
		}
	}
	b.WriteString("--batch_B--\r\n")
	return b.String(), `multipart/mixed; boundary="batch_B"`
}

func (c *client) batch(t *testing.T, prefer string, items ...any) (*response, []batchPart) {
	t.Helper()
	body, ct := batchBody(items...)
	headers := []string{"Content-Type", ct}
	if prefer != "" {
		headers = append(headers, "Prefer", prefer)
	}
	r := c.do("POST", "$batch", body, headers...)
	_, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return r, nil
	}
	return r, parseBatchParts(t, r.body, params["boundary"])
}

func statuses(parts []batchPart) string {
	var s []string
	for _, p := range parts {
		if p.nested != nil {
			s = append(s, "["+statuses(p.nested)+"]")
			continue
		}
		s = append(s, fmt.Sprint(p.status))
	}
	return strings.Join(s, " ")
}

func contact(last string) map[string]any { return map[string]any{"lastname": last} }

var tooLong = strings.Repeat("x", 51)

func TestBatchChangeSetIsAtomic(t *testing.T) {
	srv, c := start(t)
	r, parts := c.batch(t, "", []batchReq{
		{"POST", "/api/data/v9.2/contacts", contact("One"), "1"},
		{"POST", "/api/data/v9.2/contacts", contact("Two"), "2"},
		{"POST", "/api/data/v9.2/contacts", map[string]any{"lastname": tooLong}, "3"},
	})
	expect(t, r, http.StatusBadRequest)
	if statuses(parts) != "400" || parts[0].contentID != "3" {
		t.Fatalf("parts %s (Content-ID %q): %s", statuses(parts), parts[0].contentID, r.body)
	}
	if n, _ := srv.Count("contact"); n != 0 {
		t.Fatalf("%d contacts survived a failed change set", n)
	}
}

func TestBatchStopsAtFirstErrorWithoutContinueOnError(t *testing.T) {
	srv, c := start(t)
	r, parts := c.batch(t, "",
		batchReq{"POST", "contacts", contact("First"), ""},
		batchReq{"POST", "contacts", map[string]any{"lastname": tooLong}, ""},
		batchReq{"POST", "contacts", contact("Third"), ""},
	)
	expect(t, r, http.StatusBadRequest)
	if statuses(parts) != "204 400" {
		t.Fatalf("parts %s", statuses(parts))
	}
	if parts[1].header.Get("REQ_ID") == "" {
		t.Fatal("error part without REQ_ID")
	}
	if n, _ := srv.Count("contact"); n != 1 {
		t.Fatalf("%d contacts, want 1 (the request before the failure)", n)
	}
}

func TestBatchContinueOnError(t *testing.T) {
	srv, c := start(t)
	r, parts := c.batch(t, "odata.continue-on-error",
		batchReq{"POST", "contacts", contact("Standalone"), ""},
		[]batchReq{
			{"POST", "contacts", contact("InFailedSet"), "1"},
			{"DELETE", "contacts(00000000-0000-0000-0000-00000000abcd)", nil, "2"},
			{"POST", "contacts", contact("NeverRuns"), "3"},
		},
		batchReq{"POST", "contacts", map[string]any{"lastname": tooLong}, ""},
		[]batchReq{
			{"POST", "contacts", contact("InGoodSet"), "1"},
			{"PATCH", "$1", map[string]any{"jobtitle": "Referenced"}, "2"},
		},
		batchReq{"GET", "contacts?$select=lastname,jobtitle&$orderby=lastname", nil, ""},
	)
	expect(t, r, http.StatusOK)
	if got := statuses(parts); got != "204 404 400 [204 204] 200" {
		t.Fatalf("parts %s\n%s", got, r.body)
	}
	// the change set's failure is one part standing for the set, carrying the failing request's Content-ID
	if parts[1].contentID != "2" {
		t.Fatalf("failed change set part Content-ID %q", parts[1].contentID)
	}
	var listing map[string]any
	_ = json.Unmarshal(parts[4].body, &listing)
	var names []string
	for _, v := range listing["value"].([]any) {
		m := v.(map[string]any)
		names = append(names, fmt.Sprint(m["lastname"], "/", m["jobtitle"]))
	}
	if strings.Join(names, ",") != "InGoodSet/Referenced,Standalone/<nil>" {
		t.Fatalf("records after the batch: %v", names)
	}
	if n, _ := srv.Count("contact"); n != 2 {
		t.Fatalf("%d contacts", n)
	}
	// create parts carry Location and OData-EntityId
	if cs := parts[3].nested; cs[0].header.Get("Location") == "" || cs[0].header.Get("OData-EntityId") != cs[0].header.Get("Location") {
		t.Fatalf("create part headers %v", cs[0].header)
	}
}

func TestBatchRejectsWhatTheServiceRejects(t *testing.T) {
	_, c := start(t)
	var many []any
	for i := 0; i < 1001; i++ {
		many = append(many, batchReq{"GET", "WhoAmI", nil, ""})
	}
	r, _ := c.batch(t, "", many...)
	if code, msg := expect(t, r, http.StatusBadRequest).errorCode(t); code == "" || !strings.Contains(msg, "'1000'") {
		t.Fatalf("%s %s", code, msg)
	}
	// exactly 1000 is fine
	r, parts := c.batch(t, "", many[:1000]...)
	if expect(t, r, http.StatusOK); len(parts) != 1000 {
		t.Fatalf("%d parts", len(parts))
	}
	// bare LF line ends
	body, ct := batchBody(batchReq{"GET", "WhoAmI", nil, ""})
	r = expect(t, c.do("POST", "$batch", strings.ReplaceAll(body, "\r\n", "\n"), "Content-Type", ct), http.StatusBadRequest)
	if code, _ := r.errorCode(t); code != "0x80048d19" {
		t.Fatal(code)
	}
	// GET inside a change set, and a reference to a Content-ID defined later
	r, parts = c.batch(t, "odata.continue-on-error",
		[]batchReq{{"GET", "contacts", nil, "1"}},
		[]batchReq{{"POST", "accounts", map[string]any{"name": "x", "primarycontactid@odata.bind": "$2"}, "1"}, {"POST", "contacts", contact("later"), "2"}},
		[]batchReq{{"POST", "contacts", contact("no content id"), ""}},
	)
	if r.status == http.StatusOK {
		t.Fatalf("a change set part without Content-ID was accepted: %s", statuses(parts))
	}
	r, parts = c.batch(t, "odata.continue-on-error",
		[]batchReq{{"GET", "contacts", nil, "1"}},
		[]batchReq{{"POST", "accounts", map[string]any{"name": "x", "primarycontactid@odata.bind": "$2"}, "1"}, {"POST", "contacts", contact("later"), "2"}},
	)
	if expect(t, r, http.StatusOK); statuses(parts) != "400 400" || !strings.Contains(string(parts[1].body), "Content-ID Reference: '$2' does not exist in the batch context.") {
		t.Fatalf("%s %s", statuses(parts), r.body)
	}
}
