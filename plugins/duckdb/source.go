//go:build cgo

package duckdb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/sqlcursor"
	"github.com/sluicedata/sluice/sdk"
)

type source struct {
	cfg  SourceConfig
	args []any

	host   sdk.Host
	db     *database
	schema *arrow.Schema
	cursor []int    // result column of each cursor column
	casts  []string // DuckDB type of each cursor column
}

func newSource(cfg SourceConfig) (sdk.Source, error) {
	args, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &source{cfg: cfg, args: args}, nil
}

// Open opens the database, runs the setup statements, and has DuckDB
// plan the query to learn its result's Arrow schema; no rows are read.
func (s *source) Open(ctx context.Context, host sdk.Host) (*arrow.Schema, error) {
	s.host = host
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := s.cfg.Database
	if path == "" {
		path = ":memory:"
	}
	db, err := openDatabase(path, s.cfg.ReadOnly && s.cfg.Database != "")
	if err != nil {
		return nil, sdk.Errorf(sdk.Path{"database"}, "%v", err)
	}
	s.db = db
	for i, stmt := range s.cfg.Setup {
		if err := db.exec(stmt); err != nil {
			return nil, sdk.Errorf(sdk.Path{"setup", fmt.Sprint(i)}, "duckdb: setup statement %d failed: %v", i+1, err)
		}
	}
	schema, err := s.describe()
	if err != nil {
		return nil, err
	}
	// DuckDB renames duplicate column names (a, a_1) in the subquery.
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
	}
	if inc := s.cfg.Incremental; inc != nil {
		for _, c := range inc.Cursor {
			at := slices.Index(names, c)
			if at < 0 {
				return nil, sdk.Errorf(sdk.Path{"incremental", "cursor"}, "the query returns no column %q; its columns are %s", c, strings.Join(names, ", "))
			}
			cast, ok := castType(schema.Field(at).Type)
			if !ok {
				return nil, sdk.Errorf(sdk.Path{"incremental", "cursor"}, "column %q has Arrow type %s, which cannot be a cursor: use integers, decimal, varchar, date or timestamp", c, schema.Field(at).Type)
			}
			s.cursor = append(s.cursor, at)
			s.casts = append(s.casts, cast)
		}
	}
	s.schema = schema
	host.Logger().Debug("duckdb schema", "schema", schema.String(), "library", libraryVersion())
	return schema, nil
}

// describe returns the schema of the query's result, by running it with
// LIMIT 0: DuckDB plans it, opens the files it reads for their metadata,
// and returns no rows.
func (s *source) describe() (*arrow.Schema, error) {
	st, err := s.db.prepare("SELECT * FROM (\n" + sqlcursor.Query(s.cfg.Query) + "\n) AS sluice_source LIMIT 0")
	if err != nil {
		return nil, sdk.Errorf(sdk.Path{"query"}, "DuckDB rejects the query: %v", err)
	}
	defer st.close()
	if n := st.params(); n != len(s.args) {
		return nil, sdk.Errorf(sdk.Path{"args"}, "the query has %d parameters but args has %d values", n, len(s.args))
	}
	if err := st.bind(s.args); err != nil {
		return nil, sdk.Errorf(sdk.Path{"args"}, "%v", err)
	}
	schema, err := st.arrowSchema()
	if err != nil {
		return nil, sdk.Errorf(sdk.Path{"query"}, "DuckDB cannot run the query: %v", err)
	}
	// Batches carry this exact schema; drop metadata DuckDB may attach.
	return utcSchema(schema), nil
}

// Close closes the database. It is safe to call more than once.
func (s *source) Close(context.Context) error {
	if s.db != nil {
		s.db.close()
		s.db = nil
	}
	return nil
}

// Read runs the query and streams its result: DuckDB computes a chunk of
// 2048 rows each time one is fetched, so memory holds a batch or two
// (plus what the query itself needs, such as a sort's).
func (s *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	if s.db == nil {
		return fmt.Errorf("duckdb: Read before Open")
	}
	sql, args, err := s.statement(from)
	if err != nil {
		return err
	}
	st, err := s.db.prepare(sql)
	if err != nil {
		return fmt.Errorf("duckdb: the query: %v", err)
	}
	defer st.close()
	if err := st.bind(args); err != nil {
		return fmt.Errorf("duckdb: %v", err)
	}
	// A cancelled run interrupts DuckDB wherever it is, even inside a
	// long scan before the first chunk.
	stop := context.AfterFunc(ctx, s.db.interrupt)
	defer stop()
	res, err := st.stream(s.schema)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("duckdb: running the query: %v", err)
	}
	defer res.close()
	b := &batcher{src: s, emit: emit}
	defer b.release()
	for {
		rec, err := res.next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("duckdb: reading the result: %v", err)
		}
		if rec == nil {
			break
		}
		if b.rows >= int64(s.cfg.BatchRows) {
			if err := b.flush(ctx, !b.ties(rec)); err != nil {
				rec.Release()
				return err
			}
		}
		b.add(rec)
	}
	if b.rows > 0 {
		return b.flush(ctx, true)
	}
	return ctx.Err()
}

// statement returns the SQL and arguments of a read from a checkpoint.
func (s *source) statement(from sdk.Checkpoint) (string, []any, error) {
	args := slices.Clone(s.args)
	inc := s.cfg.Incremental
	if inc == nil {
		if from != nil {
			s.host.Logger().Info("duckdb: not incremental, so reading everything; the checkpoint of an earlier run is ignored")
		}
		return sqlcursor.Query(s.cfg.Query), args, nil
	}
	var casts []string
	if from != nil {
		cp, err := sqlcursor.Decode("duckdb", from, inc.Cursor)
		if err != nil {
			return "", nil, err
		}
		s.host.Logger().Info("duckdb: reading rows after the checkpoint", "cursor", inc.Cursor, "after", cp.After)
		for _, v := range cp.After {
			args = append(args, v)
		}
		casts = s.casts
	} else {
		s.host.Logger().Info("duckdb: no checkpoint: reading every row", "cursor", inc.Cursor)
	}
	return incrementalSQL(s.cfg.Query, len(s.args), inc.Cursor, casts), args, nil
}

// batcher gathers DuckDB's chunks into batches of at least BatchRows
// rows, copied into arrays from the host's allocator.
type batcher struct {
	src    *source
	emit   sdk.Emitter
	chunks []arrow.RecordBatch
	rows   int64
}

func (b *batcher) add(rec arrow.RecordBatch) {
	b.chunks = append(b.chunks, rec)
	b.rows += rec.NumRows()
}

// ties reports whether the first row of rec has the cursor of the last row
// gathered: a checkpoint between them would split a tie.
func (b *batcher) ties(rec arrow.RecordBatch) bool {
	if len(b.src.cursor) == 0 || rec.NumRows() == 0 || len(b.chunks) == 0 {
		return false
	}
	last := b.chunks[len(b.chunks)-1]
	for _, at := range b.src.cursor {
		if cursorText(last.Column(at), int(last.NumRows())-1) != cursorText(rec.Column(at), 0) {
			return false
		}
	}
	return true
}

func (b *batcher) flush(ctx context.Context, withCheckpoint bool) error {
	s := b.src
	batch := sdk.Batch{}
	if withCheckpoint && len(s.cursor) > 0 {
		last := b.chunks[len(b.chunks)-1]
		cp := sqlcursor.New(s.cfg.Incremental.Cursor)
		for i, at := range s.cursor {
			cp.After[i] = cursorText(last.Column(at), int(last.NumRows())-1)
		}
		batch.Checkpoint = cp.Encode()
	}
	rec, err := b.concat()
	if err != nil {
		return err
	}
	batch.Record = rec
	err = b.emit.Emit(ctx, batch)
	rec.Release()
	return err
}

// concat copies the gathered chunks into one record and releases them.
func (b *batcher) concat() (arrow.RecordBatch, error) {
	s := b.src
	defer b.release()
	cols := make([]arrow.Array, s.schema.NumFields())
	parts := make([]arrow.Array, len(b.chunks))
	for c := range cols {
		for i, ch := range b.chunks {
			parts[i] = ch.Column(c)
		}
		col, err := array.Concatenate(parts, s.host.Allocator())
		if err != nil {
			for _, done := range cols[:c] {
				done.Release()
			}
			return nil, fmt.Errorf("duckdb: gathering a batch: %w", err)
		}
		cols[c] = col
	}
	rec := array.NewRecordBatch(s.schema, cols, b.rows)
	for _, col := range cols {
		col.Release()
	}
	return rec, nil
}

func (b *batcher) release() {
	for _, ch := range b.chunks {
		ch.Release()
	}
	b.chunks, b.rows = nil, 0
}

// Incremental reports whether the source reads by a cursor: its checkpoints
// are then high-water marks that the engine keeps between runs, rather than
// positions within one run.
func (s *source) Incremental() bool { return s.cfg.Incremental != nil }
