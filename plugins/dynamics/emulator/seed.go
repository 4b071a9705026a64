package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// A seed file is a CRM state to start from, for examples and tests: a JSON
// object of tables, each an array of records inserted in order (tables in
// the order the file lists them), as a POST would create them. A record may
// carry "ref", a name that later values "@name" refer to: in an
// @odata.bind, "@acme" becomes "/accounts(<id of acme>)".
//
//	{
//	  "account": [{"ref": "acme", "name": "Acme"}],
//	  "contact": [{"lastname": "Lee", "parentcustomerid_account@odata.bind": "@acme"}]
//	}
//
// Keys starting with "_" are comments.

// SeedFile inserts the records of a seed file and returns their ids by ref.
func (s *Server) SeedFile(ctx context.Context, path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	defer f.Close()
	ids, err := s.Seed(ctx, f)
	if err != nil {
		return ids, fmt.Errorf("seed %s: %w", path, err)
	}
	return ids, nil
}

// Seed inserts the records of a seed file read from r.
func (s *Server) Seed(ctx context.Context, r io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("a seed file is a JSON object of tables")
	}
	ids := map[string]string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ids, err
		}
		table := t.(string)
		if strings.HasPrefix(table, "_") {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return ids, err
			}
			continue
		}
		var recs []map[string]any
		if err := dec.Decode(&recs); err != nil {
			return ids, fmt.Errorf("%s: %w", table, err)
		}
		for i, rec := range recs {
			ref, _ := rec["ref"].(string)
			delete(rec, "ref")
			for k, v := range rec {
				str, ok := v.(string)
				if !ok || !strings.HasPrefix(str, "@") {
					continue
				}
				bind, err := s.seedBind(table, k, str[1:], ids)
				if err != nil {
					return ids, fmt.Errorf("%s record %d: %w", table, i+1, err)
				}
				rec[k] = bind
			}
			got, err := s.Insert(ctx, table, rec)
			if err != nil {
				return ids, fmt.Errorf("%s record %d: %w", table, i+1, err)
			}
			if ref != "" {
				ids[ref] = got[0]
			}
		}
	}
	return ids, nil
}

// seedBind turns @ref in an @odata.bind of a navigation property into the
// URL of the record ref names.
func (s *Server) seedBind(table, key, ref string, ids map[string]string) (string, error) {
	id, ok := ids[ref]
	if !ok {
		return "", fmt.Errorf("%s: no earlier record has ref %q", key, ref)
	}
	nav, ok := strings.CutSuffix(key, "@odata.bind")
	if !ok {
		return "", fmt.Errorf("%s: @%s refers to a record; use it in an @odata.bind", key, ref)
	}
	t, err := s.tableByName(table)
	if err != nil {
		return "", err
	}
	for _, c := range t.Columns {
		for target, n := range c.Navigation {
			if n == nav {
				tt, err := s.tableByName(target)
				if err != nil {
					return "", err
				}
				return "/" + tt.EntitySetName + "(" + id + ")", nil
			}
		}
	}
	return "", fmt.Errorf("%s: %s has no navigation property %s", key, t.LogicalName, nav)
}
