package emulator

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// record is one row. Records are never changed in place: a write stores a new record, so a reader holding one (or
// a transaction's undo log) keeps a consistent view.
type record struct {
	id      string
	version int64
	values  map[string]any
}

func (r *record) get(name string) any { return r.values[name] }

// tombstone remembers a deleted record for change tracking.
type tombstone struct {
	ID      string
	Version int64
}

// tableData holds one table's records and its alternate-key indexes.
type tableData struct {
	t          *Table
	records    map[string]*record
	keyIndex   []map[string]string // parallel to t.Keys: normalized key value → record id
	tombstones []tombstone
}

func newTableData(t *Table) *tableData {
	td := &tableData{t: t, records: map[string]*record{}, keyIndex: make([]map[string]string, len(t.Keys))}
	for i := range td.keyIndex {
		td.keyIndex[i] = map[string]string{}
	}
	return td
}

// keyString is the normalized index entry for key k of values, or "" when a key column is null (such records are
// not indexed, as Dataverse does not enforce uniqueness on empty key values).
func keyString(k *Key, get func(string) any) string {
	var b strings.Builder
	for i, col := range k.Columns {
		v := get(col)
		if v == nil {
			return ""
		}
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(normalizeKeyValue(v))
	}
	return b.String()
}

// normalizeKeyValue compares key values the way SQL Server's case-insensitive collation does.
func normalizeKeyValue(v any) string {
	switch x := v.(type) {
	case string:
		return strings.ToLower(strings.TrimRight(x, " "))
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case lookupRef:
		return x.ID
	}
	return ""
}

// change is one committed write, as persisted to the journal.
type change struct {
	Table   string         `json:"t"`
	ID      string         `json:"id"`
	Version int64          `json:"v"`
	Deleted bool           `json:"d,omitempty"`
	Values  map[string]any `json:"r,omitempty"`
}

// store is the in-memory database: every table's records behind one lock. Writes run in transactions that hold the
// write lock and roll back completely on error, which is what makes change sets and bulk actions atomic.
type store struct {
	mu      sync.RWMutex
	schema  *schema
	tables  map[string]*tableData
	version int64
	// resetAt is the version at the last reset; older delta tokens are no longer valid.
	resetAt int64
	// onCommit receives every committed transaction's changes, under the write lock (persistence).
	onCommit func([]change) error
}

func newStore(s *schema) *store {
	st := &store{schema: s, tables: map[string]*tableData{}, version: 1000}
	for _, t := range s.tables {
		st.tables[t.LogicalName] = newTableData(t)
	}
	return st
}

func (s *store) data(table string) *tableData { return s.tables[table] }

func (s *store) resetVersion() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.resetAt
}

// clear empties every table and invalidates delta tokens.
func (s *store) clear() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, td := range s.tables {
		*td = *newTableData(td.t)
	}
	s.version++
	s.resetAt = s.version
	if s.onCommit != nil {
		return s.onCommit([]change{{Version: s.version}})
	}
	return nil
}

// read runs fn under the read lock.
func (s *store) read(fn func()) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn()
}

// write runs fn in a transaction: if fn returns an error every change it made is undone.
func (s *store) write(fn func(tx *txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &txn{s: s}
	if err := fn(tx); err != nil {
		tx.rollback()
		return err
	}
	if s.onCommit != nil && len(tx.log) > 0 {
		if err := s.onCommit(tx.changes()); err != nil {
			tx.rollback()
			return err
		}
	}
	return nil
}

type undoEntry struct {
	td         *tableData
	id         string
	prev       *record
	tombstones int
}

// txn is an open transaction; it is only used while the store's write lock is held.
type txn struct {
	s    *store
	undo []undoEntry
	log  []*tableData // parallel to undo: which table each entry touched (for the journal)
}

func (tx *txn) nextVersion() int64 {
	tx.s.version++
	return tx.s.version
}

// put stores r (new or replacing the record with the same id), keeping key indexes unique.
func (tx *txn) put(td *tableData, r *record) *apiError {
	prev := td.records[r.id]
	for i, k := range td.t.Keys {
		newKey := keyString(k, r.get)
		if newKey == "" {
			continue
		}
		if owner, taken := td.keyIndex[i][newKey]; taken && owner != r.id {
			return errDuplicateKey(k.SchemaName, strings.Join(k.Columns, ","))
		}
	}
	tx.undo = append(tx.undo, undoEntry{td: td, id: r.id, prev: prev, tombstones: len(td.tombstones)})
	tx.log = append(tx.log, td)
	tx.reindex(td, prev, r)
	td.records[r.id] = r
	return nil
}

// remove deletes the record with this id and leaves a tombstone for change tracking.
func (tx *txn) remove(td *tableData, id string) {
	prev := td.records[id]
	if prev == nil {
		return
	}
	tx.undo = append(tx.undo, undoEntry{td: td, id: id, prev: prev, tombstones: len(td.tombstones)})
	tx.log = append(tx.log, td)
	tx.reindex(td, prev, nil)
	delete(td.records, id)
	td.tombstones = append(td.tombstones, tombstone{ID: id, Version: tx.nextVersion()})
}

func (tx *txn) reindex(td *tableData, old, cur *record) {
	for i, k := range td.t.Keys {
		if old != nil {
			if ks := keyString(k, old.get); ks != "" && td.keyIndex[i][ks] == old.id {
				delete(td.keyIndex[i], ks)
			}
		}
		if cur != nil {
			if ks := keyString(k, cur.get); ks != "" {
				td.keyIndex[i][ks] = cur.id
			}
		}
	}
}

func (tx *txn) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		u := tx.undo[i]
		cur := u.td.records[u.id]
		tx.reindex(u.td, cur, u.prev)
		if u.prev == nil {
			delete(u.td.records, u.id)
		} else {
			u.td.records[u.id] = u.prev
		}
		u.td.tombstones = u.td.tombstones[:u.tombstones]
	}
	tx.undo, tx.log = nil, nil
}

// changes lists the final state of every record the transaction touched.
func (tx *txn) changes() []change {
	seen := map[string]bool{}
	var out []change
	for i := len(tx.undo) - 1; i >= 0; i-- {
		u := tx.undo[i]
		k := u.td.t.LogicalName + "\x00" + u.id
		if seen[k] {
			continue
		}
		seen[k] = true
		if r := u.td.records[u.id]; r != nil {
			out = append(out, change{Table: u.td.t.LogicalName, ID: r.id, Version: r.version, Values: persistValues(u.td.t, r)})
		} else {
			v := int64(0)
			if n := len(u.td.tombstones); n > 0 {
				v = u.td.tombstones[n-1].Version
			}
			out = append(out, change{Table: u.td.t.LogicalName, ID: u.id, Version: v, Deleted: true})
		}
	}
	return out
}

// findByKey returns the record whose alternate key k (index i) has these values.
func (td *tableData) findByKey(i int, values map[string]any) *record {
	ks := keyString(td.t.Keys[i], func(c string) any { return values[c] })
	if ks == "" {
		return nil
	}
	id, ok := td.keyIndex[i][ks]
	if !ok {
		return nil
	}
	return td.records[id]
}
