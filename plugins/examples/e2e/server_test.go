package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// api is a paginated JSON API of people: pages of perPage records, the
// next page linked relatively. hold, when set, blocks the request for that
// page until release is closed.
type api struct {
	pages, perPage int
	mu             sync.Mutex
	hold           int
	reached        chan struct{}
	release        chan struct{}
	srv            *httptest.Server
}

func newAPI(t *testing.T, pages, perPage int) *api {
	a := &api{pages: pages, perPage: perPage, reached: make(chan struct{}), release: make(chan struct{})}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(func() {
		a.unblock()
		a.srv.Close()
	})
	return a
}

func (a *api) unblock() {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.release:
	default:
		close(a.release)
	}
}

func (a *api) url() string { return a.srv.URL + "/people?page=1" }

func (a *api) serve(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	a.mu.Lock()
	hold := a.hold
	a.mu.Unlock()
	if page == hold {
		close(a.reached)
		select {
		case <-a.release:
		case <-r.Context().Done():
			return
		}
	}
	items := make([]map[string]any, 0, a.perPage)
	for i := range a.perPage {
		id := (page-1)*a.perPage + i
		item := map[string]any{
			"id":     id,
			"name":   fmt.Sprintf("person %d", id),
			"score":  float64(id%97) / 4,
			"active": id%3 != 0,
		}
		switch {
		case id%50 == 7:
			item["score"] = "not a number" // rejected by the source
		case id%41 == 0:
			item["name"] = nil
		}
		items = append(items, item)
	}
	body := map[string]any{"items": items}
	if page < a.pages {
		body["next"] = fmt.Sprintf("people?page=%d", page+1)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}
