package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
)

// Inspection: Go methods for tests and /_emulator/ endpoints for people (curl), to count, dump and seed tables,
// read the request log, change faults, limits and cost, and reset the emulator.

func (s *Server) tableByName(name string) (*Table, error) {
	if t, ok := s.schema.table(name); ok {
		return t, nil
	}
	if t, ok := s.schema.tableBySet(name); ok {
		return t, nil
	}
	return nil, fmt.Errorf("no table named %q", name)
}

// Count returns the number of records in a table (logical or entity set name).
func (s *Server) Count(table string) (int, error) {
	t, err := s.tableByName(table)
	if err != nil {
		return 0, err
	}
	var n int
	s.store.read(func() { n = len(s.store.data(t.LogicalName).records) })
	return n, nil
}

// Records returns every record of a table as the Web API shows it (lookups as _x_value), ordered by primary id.
func (s *Server) Records(table string) ([]map[string]any, error) {
	t, err := s.tableByName(table)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	s.store.read(func() {
		td := s.store.data(t.LogicalName)
		ids := make([]string, 0, len(td.records))
		for id := range td.records {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			out = append(out, s.plainRecord(t, td.records[id]))
		}
	})
	return out, nil
}

// Record returns one record by primary id.
func (s *Server) Record(table, id string) (map[string]any, bool, error) {
	t, err := s.tableByName(table)
	if err != nil {
		return nil, false, err
	}
	g, ok := guid.Parse(id)
	if !ok {
		return nil, false, fmt.Errorf("invalid id %q", id)
	}
	var out map[string]any
	s.store.read(func() {
		if r := s.store.data(t.LogicalName).records[g]; r != nil {
			out = s.plainRecord(t, r)
		}
	})
	return out, out != nil, nil
}

func (s *Server) plainRecord(t *Table, r *record) map[string]any {
	m := map[string]any{"@odata.etag": etagOf(r)}
	for _, c := range t.Columns {
		v := columnValue(r, c)
		if v == nil {
			continue
		}
		name := c.LogicalName
		if c.Type.isLookup() {
			name = "_" + name + "_value"
		}
		m[name] = jsonValue(c, v)
	}
	m[t.PrimaryID] = r.id
	return m
}

// Insert creates records as the main application user would with POST, bypassing authentication, limits, cost
// and faults (for seeding test fixtures). It returns the new ids.
func (s *Server) Insert(ctx context.Context, table string, records ...map[string]any) ([]string, error) {
	t, err := s.tableByName(table)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(records))
	root := s.WebAPIURL()
	for _, rec := range records {
		body, err := json.Marshal(rec)
		if err != nil {
			return ids, fmt.Errorf("encode record: %w", err)
		}
		req := &apiRequest{ctx: ctx, method: http.MethodPost, resource: t.EntitySetName, header: http.Header{}, body: body,
			root: root, user: s.users[0], ids: contentIDs{}}
		resp := s.handleCreate(req, t)
		if resp.err != nil {
			return ids, fmt.Errorf("insert into %s: %w", t.LogicalName, resp.err)
		}
		ids = append(ids, resp.entityURL[strings.LastIndexByte(resp.entityURL, '(')+1:len(resp.entityURL)-1])
	}
	return ids, nil
}

// Reset deletes every record (the application users' systemuser records are recreated), forgets the request log
// and restarts the service protection windows. Delta tokens from before the reset are no longer valid.
func (s *Server) Reset() error {
	if err := s.store.clear(); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	s.seedPrincipals()
	s.reqLog.clear()
	s.throttle.reset()
	return nil
}

func (s *Server) serveInspection(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/_emulator"), "/")
	parts := strings.Split(path, "/")
	switch {
	case path == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"url": s.requestBase(r), "web_api": s.requestBase(r) + "/api/data/v9.2/", "authority": s.Authority(),
			"tenant_id": s.TenantID, "client_id": s.ClientID, "tables": s.tableSummaries(), "limits": s.throttle.current().String(), "cost": s.currentCost().String(),
			"faults": FormatFaults(s.faults.list())})
	case parts[0] == "tables" && len(parts) == 1 && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.tableSummaries())
	case parts[0] == "tables" && len(parts) >= 2:
		s.inspectTable(w, r, parts[1:])
	case path == "log" && r.Method == http.MethodGet:
		since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		entries := s.reqLog.snapshot(since)
		if entries == nil {
			entries = []LogEntry{}
		}
		writeJSON(w, http.StatusOK, entries)
	case path == "log" && r.Method == http.MethodDelete:
		s.ResetRequestLog()
		w.WriteHeader(http.StatusNoContent)
	case path == "reset" && r.Method == http.MethodPost:
		if err := s.Reset(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case path == "faults" || path == "limits" || path == "cost":
		s.inspectSetting(w, r, path)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) tableSummaries() []map[string]any {
	var out []map[string]any
	s.store.read(func() {
		for _, t := range s.schema.tables {
			out = append(out, map[string]any{"table": t.LogicalName, "entity_set": t.EntitySetName, "count": len(s.store.data(t.LogicalName).records)})
		}
	})
	return out
}

func (s *Server) inspectTable(w http.ResponseWriter, r *http.Request, parts []string) {
	t, err := s.tableByName(parts[0])
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	switch {
	case len(parts) == 2 && parts[1] == "count" || len(parts) == 1 && r.URL.Query().Has("count"):
		n, _ := s.Count(t.LogicalName)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, n)
	case len(parts) == 1 && r.Method == http.MethodGet:
		recs, _ := s.Records(t.LogicalName)
		if recs == nil {
			recs = []map[string]any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"table": t.LogicalName, "count": len(recs), "records": recs})
	case len(parts) == 1 && r.Method == http.MethodPost:
		var recs []map[string]any
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &recs); err != nil {
			var one map[string]any
			if err := json.Unmarshal(body, &one); err != nil {
				http.Error(w, "body must be a JSON object or array of objects: "+err.Error(), http.StatusBadRequest)
				return
			}
			recs = []map[string]any{one}
		}
		ids, err := s.Insert(r.Context(), t.LogicalName, recs...)
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				writeJSON(w, ae.Status, map[string]any{"error": map[string]any{"code": ae.Code, "message": ae.Message}, "inserted": ids})
				return
			}
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ids": ids})
	case len(parts) == 2 && r.Method == http.MethodGet:
		rec, ok, err := s.Record(t.LogicalName, parts[1])
		if err != nil || !ok {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) inspectSetting(w http.ResponseWriter, r *http.Request, name string) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut, http.MethodPost, http.MethodDelete:
		body, _ := io.ReadAll(r.Body)
		spec := strings.TrimSpace(string(body))
		if r.Method == http.MethodDelete {
			spec = ""
		}
		var err error
		switch name {
		case "faults":
			var f []Fault
			if f, err = ParseFaults(spec); err == nil {
				s.SetFaults(f)
			}
		case "limits":
			var l Limits
			if l, err = ParseLimits(spec); err == nil {
				s.SetLimits(l)
			}
		case "cost":
			var c Cost
			if c, err = ParseCost(spec); err == nil {
				s.SetCost(c)
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch name {
	case "faults":
		fmt.Fprintln(w, FormatFaults(s.faults.list()))
	case "limits":
		fmt.Fprintln(w, s.throttle.current().String())
	case "cost":
		fmt.Fprintln(w, s.currentCost().String())
	}
}
