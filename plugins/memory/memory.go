// Package memory holds tables of Arrow record batches in the process, with a
// source that reads them and a sink that writes them.
//
// A Go program that embeds the engine uses it to hand data to a pipeline and
// take results back without files; tests use it as the simplest real source
// and sink. The plugins are bound to a Store, so two engines never share
// tables by accident.
package memory

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
)

// Store is a set of named tables. It is safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	tables map[string]*table
}

type table struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{tables: map[string]*table{}} }

// Put replaces a table's contents with batches, which the store retains.
func (s *Store) Put(name string, schema *arrow.Schema, batches ...arrow.RecordBatch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release(name)
	for _, b := range batches {
		b.Retain()
	}
	s.tables[name] = &table{schema: schema, batches: batches}
}

// Batches returns a table's batches, retained for the caller, who releases
// them; and its schema. ok is false when there is no such table.
func (s *Store) Batches(name string) (schema *arrow.Schema, batches []arrow.RecordBatch, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tables[name]
	if !ok {
		return nil, nil, false
	}
	out := make([]arrow.RecordBatch, len(t.batches))
	for i, b := range t.batches {
		b.Retain()
		out[i] = b
	}
	return t.schema, out, true
}

// Rows counts a table's rows.
func (s *Store) Rows(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	if t, ok := s.tables[name]; ok {
		for _, b := range t.batches {
			n += b.NumRows()
		}
	}
	return n
}

// Clear releases every table.
func (s *Store) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.tables {
		s.release(name)
	}
}

func (s *Store) release(name string) {
	if t, ok := s.tables[name]; ok {
		for _, b := range t.batches {
			b.Release()
		}
		delete(s.tables, name)
	}
}

// Config names a table of the store.
type Config struct {
	Table string `sluice:"table,required" doc:"The name of the table in the program's memory store." example:"\"customers\""`
}

// Plugins returns the memory source and sink bound to s.
func (s *Store) Plugins() []sdk.Plugin {
	return []sdk.Plugin{s.Source(), s.Sink()}
}

// Source returns the memory source plugin bound to s.
func (s *Store) Source() sdk.Plugin {
	return sdk.SourcePlugin(sdk.Info{
		Name: "memory", Version: "1.0.0",
		Summary: "Reads a table that the embedding program put in memory.",
	}, func(cfg Config) (sdk.Source, error) {
		return &source{store: s, table: cfg.Table}, nil
	})
}

// Sink returns the memory sink plugin bound to s. Writing a table replaces
// it when the sink opens.
func (s *Store) Sink() sdk.Plugin {
	return sdk.SinkPlugin(sdk.Info{
		Name: "memory", Version: "1.0.0",
		Summary: "Writes rows to a table in the embedding program's memory.",
	}, func(cfg Config) (sdk.Sink, error) {
		return &sink{store: s, table: cfg.Table}, nil
	})
}

type source struct {
	store   *Store
	table   string
	schema  *arrow.Schema
	batches []arrow.RecordBatch
}

func (src *source) Open(context.Context, sdk.Host) (*arrow.Schema, error) {
	schema, batches, ok := src.store.Batches(src.table)
	if !ok {
		return nil, sdk.Errorf(sdk.Path{"table"}, "the memory store has no table %q", src.table)
	}
	src.schema, src.batches = schema, batches
	return schema, nil
}

// Read emits the table's batches; the checkpoint is the number emitted.
func (src *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	start := 0
	if len(from) == 8 {
		start = int(binary.BigEndian.Uint64(from))
	} else if from != nil {
		return fmt.Errorf("invalid checkpoint")
	}
	for i := start; i < len(src.batches); i++ {
		cp := binary.BigEndian.AppendUint64(nil, uint64(i+1))
		if err := emit.Emit(ctx, sdk.Batch{Record: src.batches[i], Checkpoint: cp}); err != nil {
			return err
		}
	}
	return nil
}

func (src *source) Close(context.Context) error {
	for _, b := range src.batches {
		b.Release()
	}
	src.batches = nil
	return nil
}

type sink struct {
	store *Store
	table string
}

func (s *sink) Open(_ context.Context, host sdk.Host, in *arrow.Schema) error {
	if !host.Offline() {
		s.store.Put(s.table, in)
	}
	return nil
}

func (s *sink) Write(_ context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	t, ok := s.store.tables[s.table]
	if !ok {
		return sdk.WriteResult{}, fmt.Errorf("table %q was removed while being written", s.table)
	}
	rec.Retain()
	t.batches = append(t.batches, rec)
	return sdk.WriteResult{}, nil
}

func (s *sink) Close(context.Context) error { return nil }
