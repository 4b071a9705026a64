package emulator_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentClientsKeepKeysUnique hammers the same alternate keys from many goroutines with single upserts,
// bulk upserts, batches and reads; run with -race.
func TestConcurrentClientsKeepKeysUnique(t *testing.T) {
	srv, c := start(t)
	const workers, keys = 8, 40
	var wg sync.WaitGroup
	errs := make(chan string, workers*keys)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 0; k < keys; k++ {
				email := fmt.Sprintf("user%d@example.com", k)
				var r *response
				switch (w + k) % 4 {
				case 0:
					r = c.do("PATCH", "contacts(emailaddress1='"+email+"')", map[string]any{"lastname": fmt.Sprint("w", w)})
				case 1:
					r = c.do("POST", "contacts/Microsoft.Dynamics.CRM.UpsertMultiple", map[string]any{"Targets": []any{
						typed("contact", map[string]any{"@odata.id": "contacts(emailaddress1='" + email + "')", "lastname": fmt.Sprint("w", w)}),
					}})
				case 2:
					body, ct := batchBody([]batchReq{{"PATCH", "contacts(emailaddress1='" + email + "')", map[string]any{"jobtitle": "b"}, "1"}})
					r = c.do("POST", "$batch", body, "Content-Type", ct)
					if r.status == http.StatusOK {
						r.status = http.StatusNoContent
					}
				default:
					r = c.do("GET", "contacts?$filter=emailaddress1 eq '"+email+"'&$select=lastname", nil)
					if r.status == http.StatusOK {
						r.status = http.StatusNoContent
					}
				}
				if r.status != http.StatusNoContent {
					errs <- fmt.Sprintf("worker %d key %d: %d %s", w, k, r.status, r.body)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n, _ := srv.Count("contact"); n != keys {
		t.Fatalf("%d contacts, want %d: concurrent upserts duplicated keys", n, keys)
	}
}
