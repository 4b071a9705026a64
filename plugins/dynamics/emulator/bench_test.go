package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// Benchmarks measure the emulator with simulated cost zero and service protection off, so the figures are its own
// ceiling (client and server share the machine). docs/benchmarks.md records them.

func benchServer(b *testing.B) (*emulator.Server, *http.Client, string) {
	srv := emulatortest.Start(b, emulatortest.WithoutTLS(), emulatortest.WithLimits(emulator.Limits{Disabled: true}))
	hc := srv.HTTPClient()
	return srv, hc, srv.Token()
}

func benchDo(b *testing.B, hc *http.Client, token, method, url string, body []byte, want int) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Errorf("status %d", resp.StatusCode)
	}
}

// BenchmarkUpsertSingle sends PATCH upserts by alternate key from parallel clients, half creating, half updating.
func BenchmarkUpsertSingle(b *testing.B) {
	srv, hc, token := benchServer(b)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			url := fmt.Sprintf("%s/contacts(emailaddress1='user%d@example.com')", srv.WebAPIURL(), i/2)
			body := []byte(fmt.Sprintf(`{"firstname":"F%d","lastname":"L%d","jobtitle":"Engineer","telephone1":"+1 555 0100"}`, i, i))
			benchDo(b, hc, token, "PATCH", url, body, http.StatusNoContent)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "upserts/s")
}

// BenchmarkUpsertMultiple1000 sends 1,000-record UpsertMultiple requests from parallel clients.
func BenchmarkUpsertMultiple1000(b *testing.B) {
	srv, hc, token := benchServer(b)
	url := srv.WebAPIURL() + "/contacts/Microsoft.Dynamics.CRM.UpsertMultiple"
	// bodies are made before timing: request m creates 1,000 contacts when m is even and updates them when odd
	const distinct = 64
	bodies := make([][]byte, 2*distinct)
	for m := range bodies {
		targets := make([]map[string]any, 1000)
		for i := range targets {
			k := (m/2)*1000 + i
			targets[i] = map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.contact", "@odata.id": fmt.Sprintf("contacts(emailaddress1='user%d@example.com')", k),
				"firstname": "F", "lastname": fmt.Sprint("L", k, "-", m%2), "jobtitle": "Engineer", "telephone1": "+1 555 0100"}
		}
		bodies[m], _ = json.Marshal(map[string]any{"Targets": targets})
	}
	var n atomic.Int64
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[int(n.Add(1)-1)%len(bodies)]
			benchDo(b, hc, token, "POST", url, body, http.StatusNoContent)
		}
	})
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}
