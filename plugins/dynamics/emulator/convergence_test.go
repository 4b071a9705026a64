package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// TestRetryingClientConvergesUnderFaults is the shape of the sink's fault test: with throttles, 503s and connections
// dropped before and after processing, a client that retries idempotent upserts ends with exactly the records of a
// clean run.
func TestRetryingClientConvergesUnderFaults(t *testing.T) {
	faults, err := emulator.ParseFaults("throttle:rate=5%,retry-after=1;503:rate=5%;reset:rate=3%;reset:rate=3%,phase=after")
	if err != nil {
		t.Fatal(err)
	}
	srv, c := start(t, emulatortest.WithFaults(faults...),
		emulatortest.WithLimits(emulator.Limits{Requests: 400, Window: 2 * time.Second, Concurrent: 4}))
	const total, perRequest = 3000, 100
	send := func(body []byte) (retries int) {
		for {
			req, _ := http.NewRequest("POST", srv.WebAPIURL()+"/contacts/Microsoft.Dynamics.CRM.UpsertMultiple", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+c.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.http.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusNoContent {
					return retries
				}
				if resp.StatusCode == http.StatusTooManyRequests {
					secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
					time.Sleep(time.Duration(secs) * time.Second / 20) // scaled down to keep the test fast
				} else if resp.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("unexpected status %d", resp.StatusCode)
					return retries
				}
			}
			retries++
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	retries := 0
	work := make(chan []byte)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				r := send(body)
				mu.Lock()
				retries += r
				mu.Unlock()
			}
		}()
	}
	for start := 0; start < total; start += perRequest {
		var targets []any
		for i := start; i < start+perRequest; i++ {
			targets = append(targets, typed("contact", map[string]any{"@odata.id": fmt.Sprintf("contacts(emailaddress1='p%d@example.com')", i), "lastname": fmt.Sprint("L", i), "numberofchildren": i % 7}))
		}
		body, _ := json.Marshal(map[string]any{"Targets": targets})
		work <- body
	}
	close(work)
	wg.Wait()
	recs, _ := srv.Records("contact")
	if len(recs) != total {
		t.Fatalf("%d contacts, want %d", len(recs), total)
	}
	for _, r := range recs {
		var i int
		if _, err := fmt.Sscanf(r["emailaddress1"].(string), "p%d@example.com", &i); err != nil || r["lastname"] != fmt.Sprint("L", i) {
			t.Fatalf("record %v", r)
		}
	}
	if retries == 0 {
		t.Fatal("no faults were injected")
	}
	t.Logf("%d retries", retries)
}
