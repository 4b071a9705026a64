package postgres

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/jackc/pgx/v5"
	"github.com/sluicedata/sluice/plugins/internal/colbuild"

	"github.com/sluicedata/sluice/plugins/internal/sqlcursor"
	"github.com/sluicedata/sluice/sdk"
)

// Read runs the query and streams its rows into batches. pgx reads the
// result from the socket as Read consumes it, so memory holds the batch
// being built plus what the socket buffers, whatever the size of the
// result; the server waits while the pipeline is busy.
func (s *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	if s.conn == nil {
		return fmt.Errorf("postgres: Read before Open")
	}
	sql, args, err := s.statement(from)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, err := s.conn.Query(qctx, sql, append([]any{pgx.QueryResultFormats(s.formats)}, args...)...)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres: running the query: %s", s.queryError(err, sql))
	}
	r := &reader{src: s, rows: rows, emit: emit}
	err = r.run(ctx)
	if err != nil {
		// Closing a result that is still streaming would read it to the
		// end; cancelling the query first ends it at once.
		cancel()
	}
	rows.Close()
	if err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres: reading the result: %s", s.queryError(err, sql))
	}
	return nil
}

// statement returns the SQL to run and its arguments: the query as written,
// or wrapped for an incremental read resuming after from.
func (s *source) statement(from sdk.Checkpoint) (string, []any, error) {
	args := append([]any(nil), s.args...)
	inc := s.cfg.Incremental
	if inc == nil {
		if from != nil {
			s.host.Logger().Info("postgres: not incremental, so reading everything; the checkpoint of an earlier run is ignored")
		}
		return sqlcursor.Query(s.cfg.Query), args, nil
	}
	if from != nil {
		cp, err := sqlcursor.Decode("postgres", from, inc.Cursor)
		if err != nil {
			return "", nil, err
		}
		s.host.Logger().Info("postgres: reading rows after the checkpoint", "cursor", inc.Cursor, "after", cp.After)
		for _, v := range cp.After {
			args = append(args, v)
		}
	} else {
		s.host.Logger().Info("postgres: no checkpoint: reading every row", "cursor", inc.Cursor)
	}
	if inc.Lag > 0 {
		args = append(args, lagInterval(inc.Lag))
	}
	sql := incrementalSQL(s.cfg.Query, len(s.args), inc.Cursor, from != nil, inc.Lag)
	s.host.Logger().Debug("postgres: incremental query", "sql", sql)
	return sql, args, nil
}

// reader builds batches from the rows of one Read.
type reader struct {
	src  *source
	rows pgx.Rows
	emit sdk.Emitter

	cols    []batchColumn
	n       int
	rejects []sdk.RowError

	// The cursor of the batch's last row that can be a checkpoint, kept
	// for the checkpoint and to notice a tie with the next batch's first
	// row.
	last    [][]byte
	hasLast bool
}

func (r *reader) run(ctx context.Context) error {
	s := r.src
	r.cols = make([]batchColumn, len(s.types))
	for i, ct := range s.types {
		r.cols[i] = newBatchColumn(ct, s.host.Allocator(), s.checkUTF8)
		defer r.cols[i].release()
	}
	r.last = make([][]byte, len(s.cursor))
	batch := s.cfg.BatchRows
	r.reserve()
	for r.rows.Next() {
		values := r.rows.RawValues()
		if r.n == batch {
			// Emit the full batch now that the next row is known: if its
			// cursor ties with the batch's last, a checkpoint between
			// them would skip the rest of the tie on resume.
			if err := r.flush(ctx, !r.ties(values)); err != nil {
				return err
			}
			r.reserve()
		}
		r.add(values)
	}
	if r.rows.Err() != nil {
		return nil // Read reports it
	}
	if r.n > 0 {
		return r.flush(ctx, true)
	}
	return nil
}

// reserve makes room for a batch of rows.
func (r *reader) reserve() {
	for _, c := range r.cols {
		c.reserve(r.src.cfg.BatchRows)
	}
}

// add appends one row.
func (r *reader) add(values [][]byte) {
	var reason string
	col := -1
	for i, c := range r.cols {
		if msg := c.col.append(values[i]); msg != "" && reason == "" {
			reason, col = msg, i
		}
	}
	if reason != "" {
		r.rejects = append(r.rejects, sdk.RowError{
			Row:     r.n,
			Code:    "postgres.convert",
			Message: fmt.Sprintf("column %q: %s", r.src.schema.Field(col).Name, reason),
		})
	}
	if len(r.src.cursor) > 0 {
		r.keepCursor(values)
	}
	r.n++
}

// keepCursor remembers the row's cursor if it can be a checkpoint.
func (r *reader) keepCursor(values [][]byte) {
	s := r.src
	for _, at := range s.cursor {
		if !cursorOK(s.oids[at], s.formats[at], values[at]) {
			return
		}
	}
	for i, at := range s.cursor {
		r.last[i] = append(r.last[i][:0], values[at]...)
	}
	r.hasLast = true
}

// ties reports whether a row's cursor equals the kept one.
func (r *reader) ties(values [][]byte) bool {
	if !r.hasLast {
		return false
	}
	for i, at := range r.src.cursor {
		if !bytes.Equal(r.last[i], values[at]) {
			return false
		}
	}
	return true
}

// flush emits the rows built so far, with a checkpoint after the kept
// cursor when checkpoint is true and the source is incremental.
func (r *reader) flush(ctx context.Context, checkpoint bool) error {
	s := r.src
	b := sdk.Batch{Rejects: r.rejects}
	if checkpoint && r.hasLast {
		cp := sqlcursor.New(s.cfg.Incremental.Cursor)
		for i, at := range s.cursor {
			cp.After[i], _ = cursorText(s.oids[at], s.formats[at], r.last[i])
		}
		b.Checkpoint = cp.Encode()
	}
	arrays := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		arrays[i] = c.build()
	}
	b.Record = array.NewRecordBatch(s.schema, arrays, int64(r.n))
	for _, a := range arrays {
		a.Release()
	}
	r.n, r.rejects, r.hasLast = 0, nil, false
	err := r.emit.Emit(ctx, b)
	b.Record.Release()
	return err
}

// batchColumn is one column of the batch being built: its decoder, and
// where the decoder puts values.
type batchColumn struct {
	col     column
	build   func() arrow.Array
	reserve func(rows int)
	release func()
}

func newBatchColumn(ct colType, mem memory.Allocator, checkUTF8 bool) batchColumn {
	if !ct.list && (ct.kind == kText || ct.kind == kUUID || ct.kind == kJSONB) {
		acc := colbuild.New(arrow.BinaryTypes.String).(*colbuild.String)
		return batchColumn{
			col:     newStringColumn(ct.kind, acc, checkUTF8),
			build:   func() arrow.Array { return acc.Build(mem) },
			reserve: func(int) {},
			release: func() {},
		}
	}
	b := array.NewBuilder(mem, ct.arrow)
	return batchColumn{
		col:     newColumn(ct, b, checkUTF8),
		build:   b.NewArray,
		reserve: b.Reserve,
		release: b.Release,
	}
}
