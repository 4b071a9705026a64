package emulator

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Persistence keeps the emulator's state in a data directory: identity.json (credentials, CA, signing key),
// snapshot.jsonl (every record and tombstone, written on Close) and journal.jsonl (each committed transaction's
// changes, appended as it commits, so a killed emulator loses nothing that was acknowledged).

// identity is what makes a restarted emulator the same environment: the same URLs' credentials and tokens work.
type identity struct {
	TenantID     string `json:"tenant_id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	OrgID        string `json:"organization_id"`
	CACert       []byte `json:"ca_cert"`
	CAKey        []byte `json:"ca_key"`
	SigningKey   []byte `json:"signing_key"`
	ClientCert   []byte `json:"client_cert,omitempty"`
}

// mergeOverrides keeps saved values except where options set them explicitly.
func (saved identity) mergeOverrides(opts identity) identity {
	if opts.TenantID != "" {
		saved.TenantID = opts.TenantID
	}
	if opts.ClientID != "" {
		saved.ClientID = opts.ClientID
	}
	if opts.ClientSecret != "" {
		saved.ClientSecret = opts.ClientSecret
	}
	return saved
}

type persister struct {
	dir     string
	journal *os.File
	w       *bufio.Writer
	ident   identity
	// journaled counts changes appended since the last snapshot; a long run compacts when it dwarfs the store.
	journaled int
}

// compactAfter is the journal length (in changes) past which a commit also writes a snapshot, when the journal is
// also more than twice the number of records.
const compactAfter = 200_000

func openPersister(dir string) (*persister, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return &persister{dir: dir}, nil
}

func (p *persister) path(name string) string { return filepath.Join(p.dir, name) }

func (p *persister) loadIdentity() (identity, bool, error) {
	var id identity
	b, err := os.ReadFile(p.path("identity.json"))
	if errors.Is(err, os.ErrNotExist) {
		return id, false, nil
	}
	if err != nil {
		return id, false, fmt.Errorf("read identity: %w", err)
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return id, false, fmt.Errorf("parse %s: %w", p.path("identity.json"), err)
	}
	return id, true, nil
}

func (p *persister) saveIdentityData(id identity) error {
	p.ident = id
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return fmt.Errorf("encode identity: %w", err)
	}
	if err := writeFileAtomic(p.path("identity.json"), b, 0o600); err != nil {
		return fmt.Errorf("write identity: %w", err)
	}
	return nil
}

// saveIdentity records the client certificate once generated (called with the certificate lock held).
func (p *persister) saveIdentity(s *Server) error {
	id := p.ident
	id.ClientCert = s.clientCertificate.pem
	return p.saveIdentityData(id)
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// persistValues encodes a record's values for the journal and snapshot (full precision).
func persistValues(t *Table, r *record) map[string]any {
	out := make(map[string]any, len(r.values))
	for k, v := range r.values {
		switch x := v.(type) {
		case time.Time:
			out[k] = x.UTC().Format(time.RFC3339Nano)
		case lookupRef:
			out[k] = map[string]any{"t": x.Table, "id": x.ID}
		default:
			out[k] = v
		}
	}
	return out
}

// restoreValues decodes persisted values; columns no longer in the table are dropped.
func restoreValues(t *Table, in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		c, ok := t.byName[k]
		if !ok || v == nil {
			continue
		}
		switch c.Type {
		case TypeInteger, TypeBigInt, TypePicklist, TypeState, TypeStatus:
			if n, ok := v.(json.Number); ok {
				if i, err := n.Int64(); err == nil {
					out[k] = i
				}
			}
		case TypeDecimal, TypeDouble, TypeMoney:
			if n, ok := v.(json.Number); ok {
				if f, err := n.Float64(); err == nil {
					out[k] = f
				}
			}
		case TypeDateTime:
			if s, ok := v.(string); ok {
				if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
					out[k] = tm.UTC()
				}
			}
		case TypeLookup, TypeCustomer, TypeOwner:
			if m, ok := v.(map[string]any); ok {
				tbl, _ := m["t"].(string)
				id, _ := m["id"].(string)
				out[k] = lookupRef{Table: tbl, ID: id}
			}
		case TypeBoolean:
			if b, ok := v.(bool); ok {
				out[k] = b
			}
		default:
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

// snapshotHeader is the first line of snapshot.jsonl.
type snapshotHeader struct {
	Version      int64 `json:"version"`
	ResetVersion int64 `json:"reset_version"`
}

// load reads the snapshot, replays the journal and opens the journal for appending.
func (p *persister) load(st *store) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := p.readLines(p.path("snapshot.jsonl"), st, true); err != nil {
		return err
	}
	if err := p.readLines(p.path("journal.jsonl"), st, false); err != nil {
		return err
	}
	f, err := os.OpenFile(p.path("journal.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	p.journal, p.w = f, bufio.NewWriterSize(f, 1<<16)
	return nil
}

func (p *persister) readLines(path string, st *store, header bool) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	dec.UseNumber()
	if header {
		var h snapshotHeader
		if err := dec.Decode(&h); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read %s: %w", path, err)
		}
		st.version, st.resetAt = h.Version, h.ResetVersion
	}
	for {
		var c change
		err := dec.Decode(&c)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// a torn last line (the emulator was killed mid-write) ends the journal
			return nil
		}
		st.applyPersisted(c)
	}
}

// applyPersisted replays one change (store lock held).
func (st *store) applyPersisted(c change) {
	if c.Table == "" && c.ID == "" {
		// a reset marker
		for _, td := range st.tables {
			*td = *newTableData(td.t)
		}
		st.resetAt = c.Version
		if c.Version > st.version {
			st.version = c.Version
		}
		return
	}
	td := st.tables[c.Table]
	if td == nil {
		return
	}
	if c.Version > st.version {
		st.version = c.Version
	}
	tx := &txn{s: st}
	if c.Deleted {
		if prev := td.records[c.ID]; prev != nil {
			tx.reindex(td, prev, nil)
			delete(td.records, c.ID)
		}
		td.tombstones = append(td.tombstones, tombstone{ID: c.ID, Version: c.Version})
		return
	}
	r := &record{id: c.ID, version: c.Version, values: restoreValues(td.t, c.Values)}
	tx.reindex(td, td.records[c.ID], r)
	td.records[c.ID] = r
}

// append writes committed changes to the journal (store write lock held).
func (p *persister) append(changes []change) error {
	if p.w == nil {
		return nil
	}
	enc := json.NewEncoder(p.w)
	for _, c := range changes {
		if err := enc.Encode(c); err != nil {
			return fmt.Errorf("write journal: %w", err)
		}
	}
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("flush journal: %w", err)
	}
	p.journaled += len(changes)
	return nil
}

// maybeCompact snapshots the store when the journal has grown long (store write lock held).
func (p *persister) maybeCompact(st *store) error {
	if p.journaled < compactAfter {
		return nil
	}
	records := 0
	for _, td := range st.tables {
		records += len(td.records)
	}
	if p.journaled < 2*records {
		return nil
	}
	return p.compact(st)
}

// compact writes a snapshot of the whole store and empties the journal (store lock held).
func (p *persister) compact(st *store) error {
	tmp := p.path("snapshot.jsonl.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	_ = enc.Encode(snapshotHeader{Version: st.version, ResetVersion: st.resetAt})
	for _, td := range st.tables {
		for _, r := range td.records {
			if err := enc.Encode(change{Table: td.t.LogicalName, ID: r.id, Version: r.version, Values: persistValues(td.t, r)}); err != nil {
				f.Close()
				return fmt.Errorf("write snapshot: %w", err)
			}
		}
		for _, tb := range td.tombstones {
			_ = enc.Encode(change{Table: td.t.LogicalName, ID: tb.ID, Version: tb.Version, Deleted: true})
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close snapshot: %w", err)
	}
	if err := os.Rename(tmp, p.path("snapshot.jsonl")); err != nil {
		return fmt.Errorf("replace snapshot: %w", err)
	}
	if p.journal != nil {
		if err := p.w.Flush(); err != nil {
			return fmt.Errorf("flush journal: %w", err)
		}
		if err := p.journal.Truncate(0); err != nil {
			return fmt.Errorf("truncate journal: %w", err)
		}
	}
	p.journaled = 0
	return nil
}

func (p *persister) close() error {
	if p.journal == nil {
		return nil
	}
	err := p.w.Flush()
	if cerr := p.journal.Close(); err == nil {
		err = cerr
	}
	p.journal = nil
	return err
}
