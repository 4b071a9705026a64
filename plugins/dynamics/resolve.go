package dynamics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// maxQueryURL bounds the length of a query's URL. Dataverse accepts 32 KB;
// staying well below leaves room for proxies.
const maxQueryURL = 16 << 10

// findIDs returns the ids of the records of t that keys address, by
// canonical key, in as few queries as the URL length allows. Keys without a
// record are absent from the result. Queries go through the governor like
// every other request.
//
// The sink uses it where a key cannot go into a URL (a + in an email), to
// learn which upserts create and which update, and to turn alternate keys
// into the ids UpdateMultiple needs. Matching rules will use it too.
func (s *Sink) findIDs(ctx context.Context, t *table, ks *keySpec, keys []*rowKey) (map[string]string, error) {
	found := make(map[string]string, len(keys))
	if len(keys) == 0 {
		return found, nil
	}
	selectCols := []string{t.PrimaryID}
	if !ks.primary {
		for _, p := range ks.parts {
			selectCols = append(selectCols, p.prop)
		}
	}
	prefix := t.EntitySetName + "?$select=" + strings.Join(selectCols, ",") + "&$filter="
	var queries []string
	var terms []string
	length := len(s.client.api) + len(prefix)
	seen := map[string]bool{}
	flush := func() {
		if len(terms) > 0 {
			queries = append(queries, prefix+escapeFilter(strings.Join(terms, " or ")))
			terms, length = nil, len(s.client.api)+len(prefix)
		}
	}
	for _, k := range keys {
		if seen[k.canon] {
			continue
		}
		seen[k.canon] = true
		term := ks.filter(k, t.PrimaryID)
		cost := len(escapeFilter(term)) + len("%20or%20")
		if length+cost > maxQueryURL {
			flush()
		}
		terms = append(terms, term)
		length += cost
	}
	flush()

	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(queries))
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := q
			for next != "" {
				resp, _, err := s.send(ctx, &request{method: http.MethodGet, path: next, header: http.Header{"Prefer": {"odata.maxpagesize=5000"}}})
				if err != nil {
					errs[i] = err
					return
				}
				var page struct {
					Value    []map[string]any `json:"value"`
					NextLink string           `json:"@odata.nextLink"`
				}
				dec := json.NewDecoder(bytes.NewReader(resp.body))
				dec.UseNumber()
				if err := dec.Decode(&page); err != nil {
					errs[i] = fmt.Errorf("reading records of %s: %w", t.LogicalName, err)
					return
				}
				mu.Lock()
				for _, rec := range page.Value {
					id, _ := rec[t.PrimaryID].(string)
					if ks.primary {
						if g, ok := parseGUID(id); ok {
							found[g] = g
						}
						continue
					}
					if canon, ok := ks.canonOf(rec); ok && id != "" {
						found[canon] = id
					}
				}
				mu.Unlock()
				next = ""
				if page.NextLink != "" {
					next = strings.TrimPrefix(strings.TrimPrefix(page.NextLink, s.client.api), "/")
					if strings.HasPrefix(next, "http") {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("looking up records of %s by key: %w", t.LogicalName, err)
	}
	return found, nil
}

// escapeFilter percent-encodes a $filter value, keeping the characters
// OData syntax needs readable where that is safe.
func escapeFilter(f string) string {
	return strings.ReplaceAll(url.QueryEscape(f), "+", "%20")
}
