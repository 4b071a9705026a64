package emulator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

func TestParseFaults(t *testing.T) {
	spec := "throttle:rate=5%,retry-after=2s;503:every=3;reset:rate=0.01,phase=after;slow:delay=1500ms,path=contacts,method=get;record:table=contact,column=emailaddress1,value=bad@example.com,count=2"
	faults, err := emulator.ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []emulator.Fault{
		{Kind: emulator.FaultThrottle, Rate: 0.05, RetryAfter: 2 * time.Second},
		{Kind: emulator.FaultError, Status: 503, Every: 3},
		{Kind: emulator.FaultReset, Rate: 0.01, AfterProcessing: true},
		{Kind: emulator.FaultSlow, Delay: 1500 * time.Millisecond, Path: "contacts", Method: "GET"},
		{Kind: emulator.FaultRecord, Table: "contact", Column: "emailaddress1", Value: "bad@example.com", Count: 2},
	}
	if len(faults) != len(want) {
		t.Fatalf("%+v", faults)
	}
	for i := range want {
		if faults[i] != want[i] {
			t.Errorf("rule %d: %+v, want %+v", i, faults[i], want[i])
		}
	}
	again, err := emulator.ParseFaults(emulator.FormatFaults(faults))
	if err != nil || len(again) != len(faults) || again[3] != faults[3] {
		t.Fatalf("round trip: %v %+v", err, again)
	}
	for _, bad := range []string{"explode", "throttle:rate=150%", "record:table=contact", "503:phase=during", "slow:delay=soon"} {
		if _, err := emulator.ParseFaults(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if l, err := emulator.ParseLimits("requests=200,window=10s,time=40s,concurrent=16,dop=8"); err != nil ||
		l != (emulator.Limits{Requests: 200, Window: 10 * time.Second, ExecutionTime: 40 * time.Second, Concurrent: 16, DOPHint: 8}) {
		t.Fatalf("limits %+v %v", l, err)
	}
	if c, err := emulator.ParseCost("request=20ms,record=1ms"); err != nil || c != (emulator.Cost{PerRequest: 20 * time.Millisecond, PerRecord: time.Millisecond}) {
		t.Fatalf("cost %+v %v", c, err)
	}
	// no limits, or some of them: the real service's for the rest (6,000 requests and 1,200 s per 300 s, 52 concurrent)
	for spec, want := range map[string]string{
		"":                   "requests=6000,window=5m0s,time=20m0s,concurrent=52,dop=4",
		"requests=200":       "requests=200,window=5m0s,time=20m0s,concurrent=52,dop=4",
		"window=10s,time=1m": "requests=6000,window=10s,time=1m0s,concurrent=52,dop=4",
		"off":                "off",
	} {
		if l, err := emulator.ParseLimits(spec); err != nil || l.String() != want {
			t.Errorf("limits %q: %v %v, want %s", spec, l, err, want)
		}
	}
	// zero would quietly mean the default, and negative values mean nothing: both are mistakes
	for _, bad := range []string{"requests=0", "requests=-5", "window=0s", "window=-10s", "time=-1s", "concurrent=0", "dop=-1", "requests", "speed=3"} {
		if l, err := emulator.ParseLimits(bad); err == nil {
			t.Errorf("limits %q parsed as %v", bad, l)
		}
	}
	for _, bad := range []string{"request=-1ms", "record=-1ns", "request=soon", "latency=1ms"} {
		if c, err := emulator.ParseCost(bad); err == nil {
			t.Errorf("cost %q parsed as %v", bad, c)
		}
	}
}

func TestInjectedErrorsThrottlesAndSlowness(t *testing.T) {
	srv, c := start(t, emulatortest.WithFaults(
		emulator.Fault{Kind: emulator.FaultError, Status: 503, Every: 2, Path: "contacts"},
		emulator.Fault{Kind: emulator.FaultThrottle, RetryAfter: 3 * time.Second, Path: "accounts", Count: 1},
		emulator.Fault{Kind: emulator.FaultSlow, Delay: 200 * time.Millisecond, Path: "leads"},
		emulator.Fault{Kind: emulator.FaultError, Status: 500, Path: "tasks", After: 1},
	))
	expect(t, c.do("GET", "contacts", nil), http.StatusOK)
	expect(t, c.do("GET", "contacts", nil), http.StatusServiceUnavailable)
	expect(t, c.do("GET", "contacts", nil), http.StatusOK)
	r := expect(t, c.do("GET", "accounts", nil), http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "3" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	expect(t, c.do("GET", "accounts", nil), http.StatusOK) // count=1
	start := time.Now()
	expect(t, c.do("GET", "leads", nil), http.StatusOK)
	if time.Since(start) < 200*time.Millisecond {
		t.Fatal("slow fault did not delay")
	}
	expect(t, c.do("GET", "tasks", nil), http.StatusOK) // after=1
	r = expect(t, c.do("GET", "tasks", nil), http.StatusInternalServerError)
	if code, _ := r.errorCode(t); code != "0x80040216" {
		t.Fatal(code)
	}
	// faults can be changed at run time, through Go or the inspection endpoint
	srv.SetFaults(nil)
	expect(t, c.do("GET", "tasks", nil), http.StatusOK)
	req, _ := http.NewRequest("PUT", srv.URL()+"/_emulator/faults", strings.NewReader("500:path=tasks"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT faults: %v %v", err, resp)
	}
	resp.Body.Close()
	expect(t, c.do("GET", "tasks", nil), http.StatusInternalServerError)
}

func TestConnectionResetBeforeAndAfterProcessing(t *testing.T) {
	srv, c := start(t, emulatortest.WithFaults(
		emulator.Fault{Kind: emulator.FaultReset, Path: "contacts", Method: "POST", Count: 1},
		emulator.Fault{Kind: emulator.FaultReset, Path: "accounts", Method: "POST", Count: 1, AfterProcessing: true},
	))
	post := func(path string) error {
		body := `{"lastname":"x"}`
		if path == "accounts" {
			body = `{"name":"x"}`
		}
		req, _ := http.NewRequest("POST", srv.WebAPIURL()+"/"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.http.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	}
	if err := post("contacts"); err == nil {
		t.Fatal("no connection error")
	}
	if n, _ := srv.Count("contact"); n != 0 {
		t.Fatal("a request dropped before processing was processed")
	}
	err := post("accounts")
	if err == nil {
		t.Fatal("no connection error")
	}
	if n, _ := srv.Count("account"); n != 1 {
		t.Fatal("a request dropped after processing was not processed")
	}
	if err := post("contacts"); err != nil {
		t.Fatalf("count=1 exceeded: %v", err)
	}
}

func TestRateFaultsAreRoughlyTheRate(t *testing.T) {
	_, c := start(t, emulatortest.WithFaults(emulator.Fault{Kind: emulator.FaultError, Status: 503, Rate: 0.2}))
	failed := 0
	for i := 0; i < 300; i++ {
		if c.do("GET", "WhoAmI", nil).status == http.StatusServiceUnavailable {
			failed++
		}
	}
	if failed < 30 || failed > 90 {
		t.Fatalf("%d of 300 failed at rate 20%%", failed)
	}
}

func TestChosenRecordFails(t *testing.T) {
	srv, c := start(t, emulatortest.WithFaults(emulator.Fault{Kind: emulator.FaultRecord, Table: "contact", Column: "emailaddress1", Value: "bad@example.com"}))
	r := expect(t, c.do("POST", "contacts/Microsoft.Dynamics.CRM.UpsertMultiple", map[string]any{"Targets": []any{
		typed("contact", map[string]any{"@odata.id": "contacts(emailaddress1='good@example.com')", "lastname": "good"}),
		typed("contact", map[string]any{"@odata.id": "contacts(emailaddress1='BAD@example.com')", "lastname": "bad"}),
	}}), http.StatusBadRequest)
	if code, msg := r.errorCode(t); code != "0x80040265" || !strings.Contains(msg, "bad@example.com") {
		t.Fatalf("%s %s", code, msg)
	}
	if n, _ := srv.Count("contact"); n != 0 {
		t.Fatal("the bulk request was not atomic")
	}
	// alone, the good record goes through; the bad one fails in a batch with continue-on-error
	resp, parts := c.batch(t, "odata.continue-on-error",
		batchReq{"PATCH", "contacts(emailaddress1='good@example.com')", contact("good"), ""},
		batchReq{"PATCH", "contacts(emailaddress1='bad@example.com')", contact("bad"), ""},
	)
	if expect(t, resp, http.StatusOK); statuses(parts) != "204 400" {
		t.Fatalf("%s", statuses(parts))
	}
}
