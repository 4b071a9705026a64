package emulator_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

func TestRequestLimitAnswers429WithRetryAfter(t *testing.T) {
	srv, c := start(t, emulatortest.WithLimits(emulator.Limits{Requests: 5, Window: 2 * time.Second, DOPHint: 3}))
	for i := 0; i < 5; i++ {
		r := expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
		if r.header.Get("x-ms-dop-hint") != "3" {
			t.Fatalf("x-ms-dop-hint %q", r.header.Get("x-ms-dop-hint"))
		}
		if got := r.header.Get("x-ms-ratelimit-burst-remaining-xrm-requests"); got != strconv.Itoa(4-i) {
			t.Fatalf("burst remaining %q after %d requests", got, i+1)
		}
	}
	r := expect(t, c.do("GET", "WhoAmI", nil), http.StatusTooManyRequests)
	code, msg := r.errorCode(t)
	retry, err := strconv.Atoi(r.header.Get("Retry-After"))
	if code != "0x80072322" || msg != "Number of requests exceeded the limit of 5 over time window of 2 seconds." || err != nil || retry < 1 || retry > 2 {
		t.Fatalf("%s %q Retry-After %q", code, msg, r.header.Get("Retry-After"))
	}
	// waiting Retry-After lets requests through again
	time.Sleep(time.Duration(retry) * time.Second)
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
	// throttled requests are logged as such
	throttled := 0
	for _, e := range srv.RequestLog() {
		if e.Throttled && e.Status == 429 {
			throttled++
		}
	}
	if throttled != 1 {
		t.Fatalf("%d throttled log entries", throttled)
	}
}

func TestLimitsArePerApplicationUser(t *testing.T) {
	srv, c := start(t, emulatortest.WithLimits(emulator.Limits{Requests: 2, Window: time.Minute}), emulatortest.WithUsers(emulator.AppUser{Name: "# second"}))
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusTooManyRequests)
	second := newClient(t, srv)
	second.token, _ = srv.TokenFor(srv.Users()[0].ClientID, time.Hour)
	expect(t, second.do("GET", "WhoAmI", nil), http.StatusOK)
}

func TestExecutionTimeLimitFromSimulatedCost(t *testing.T) {
	srv, c := start(t,
		emulatortest.WithLimits(emulator.Limits{Requests: 1000, Window: 3 * time.Second, ExecutionTime: 300 * time.Millisecond}),
		emulatortest.WithCost(emulator.Cost{PerRequest: 20 * time.Millisecond, PerRecord: 10 * time.Millisecond}))
	var targets []any
	for i := 0; i < 10; i++ {
		targets = append(targets, typed("contact", contact("x")))
	}
	start := time.Now()
	// 20 ms + 10 × 10 ms = 120 ms of server time per request
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": targets}), http.StatusOK)
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Fatalf("simulated cost not spent: %v", d)
	}
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": targets}), http.StatusOK)
	expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": targets}), http.StatusOK)
	r := expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": targets}), http.StatusTooManyRequests)
	code, msg := r.errorCode(t)
	if code != "0x80072321" || !strings.HasPrefix(msg, "Combined execution time of incoming requests exceeded limit of 300  milliseconds over time window of 3 seconds.") || r.header.Get("Retry-After") == "" {
		t.Fatalf("%s %q %v", code, msg, r.header)
	}
	if n, _ := srv.Count("contact"); n != 30 {
		t.Fatalf("%d contacts: the throttled request must not be processed", n)
	}
}

func TestConcurrentRequestLimit(t *testing.T) {
	_, c := start(t,
		emulatortest.WithLimits(emulator.Limits{Concurrent: 2}),
		emulatortest.WithCost(emulator.Cost{PerRequest: 300 * time.Millisecond}))
	var wg sync.WaitGroup
	statuses := make([]int, 5)
	codes := make([]string, 5)
	errs := make([]error, 5)
	for i := range statuses {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", c.srv.WebAPIURL()+"/WhoAmI", nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := c.http.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			statuses[i] = resp.StatusCode
			if resp.StatusCode == http.StatusTooManyRequests {
				codes[i] = string(body)
			}
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ok, throttled := 0, 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			throttled++
			if !strings.Contains(codes[i], `"code":"0x80072326"`) {
				t.Fatalf("code %s", codes[i])
			}
		}
	}
	if ok != 2 || throttled != 3 {
		t.Fatalf("%d ok, %d throttled: %v", ok, throttled, statuses)
	}
}

func TestBatchCountsAsOneRequest(t *testing.T) {
	_, c := start(t, emulatortest.WithLimits(emulator.Limits{Requests: 2, Window: time.Minute}))
	var many []any
	for i := 0; i < 50; i++ {
		many = append(many, batchReq{"POST", "contacts", contact("x"), ""})
	}
	r, parts := c.batch(t, "", many...)
	if expect(t, r, http.StatusOK); len(parts) != 50 {
		t.Fatalf("%d parts", len(parts))
	}
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusTooManyRequests)
}
