package csv

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/atomicfile"
	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

// sink writes CSV by hand rather than with arrow-go's csv.Writer, which
// converts every value to a string and builds a []string per row; the
// formatters of package valfmt append straight into one buffer per batch.
type sink struct {
	cfg    SinkConfig
	delim  byte
	null   []byte
	schema *arrow.Schema
	out    *atomicfile.File
	buf    []byte
	fmts   []valfmt.Func
	failed bool
}

func newSink(cfg SinkConfig) (sdk.Sink, error) {
	delim, err := oneChar(cfg.Delimiter, false)
	if err != nil {
		return nil, sdk.Errorf(sdk.Path{"delimiter"}, "%v", err)
	}
	if delim == '"' {
		return nil, sdk.Errorf(sdk.Path{"delimiter"}, "the delimiter cannot be the quote character")
	}
	return &sink{cfg: cfg, delim: delim, null: []byte(cfg.Null)}, nil
}

func (s *sink) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) error {
	s.schema = in
	for _, f := range in.Fields() {
		empty := array.MakeArrayOfNull(host.Allocator(), f.Type, 0)
		_, err := valfmt.Text(empty)
		empty.Release()
		if err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
	}
	if host.Offline() {
		return nil
	}
	out, err := atomicfile.Create(s.cfg.Path)
	if err != nil {
		return sdk.Errorf(sdk.Path{"path"}, "%v", err)
	}
	s.out = out
	if s.cfg.Header {
		b := s.buf[:0]
		for i, f := range in.Fields() {
			if i > 0 {
				b = append(b, s.delim)
			}
			b = s.appendField(b, []byte(f.Name))
		}
		b = append(b, '\n')
		s.buf = b
		if _, err := s.out.Write(b); err != nil {
			s.failed = true
			return err
		}
	}
	return nil
}

func (s *sink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	if s.out == nil {
		return sdk.WriteResult{}, fmt.Errorf("csv sink: Write before Open")
	}
	cols := rec.Columns()
	s.fmts = s.fmts[:0]
	for i, col := range cols {
		f, err := valfmt.Text(col)
		if err != nil {
			s.failed = true
			return sdk.WriteResult{}, fmt.Errorf("column %q: %w", rec.ColumnName(i), err)
		}
		s.fmts = append(s.fmts, f)
	}
	b := s.buf[:0]
	var field []byte
	rows := int(rec.NumRows())
	for r := range rows {
		for c, col := range cols {
			if c > 0 {
				b = append(b, s.delim)
			}
			if col.IsNull(r) {
				b = append(b, s.null...)
				continue
			}
			start := len(b)
			b = s.fmts[c](b, r)
			if s.needsQuotes(b[start:]) {
				field = append(field[:0], b[start:]...)
				b = s.appendQuoted(b[:start], field)
			}
		}
		b = append(b, '\n')
		if len(b) > 1<<20 {
			if _, err := s.out.Write(b); err != nil {
				s.failed = true
				return sdk.WriteResult{}, fmt.Errorf("writing %s: %w", s.cfg.Path, err)
			}
			b = b[:0]
		}
	}
	s.buf = b
	if _, err := s.out.Write(b); err != nil {
		s.failed = true
		return sdk.WriteResult{}, fmt.Errorf("writing %s: %w", s.cfg.Path, err)
	}
	return sdk.WriteResult{}, nil
}

// needsQuotes reports whether a field must be quoted: it holds a delimiter,
// quote or line break, or it is text that would read back as null.
func (s *sink) needsQuotes(v []byte) bool {
	if bytes.Equal(v, s.null) {
		return true
	}
	for _, c := range v {
		if c == s.delim || c == '"' || c == '\n' || c == '\r' {
			return true
		}
	}
	return false
}

func (s *sink) appendField(b, v []byte) []byte {
	if s.needsQuotes(v) {
		return s.appendQuoted(b, v)
	}
	return append(b, v...)
}

func (s *sink) appendQuoted(b, v []byte) []byte {
	b = append(b, '"')
	for {
		i := bytes.IndexByte(v, '"')
		if i < 0 {
			break
		}
		b = append(b, v[:i+1]...)
		b = append(b, '"')
		v = v[i+1:]
	}
	b = append(b, v...)
	return append(b, '"')
}

// Close renames the file into place, unless a write failed.
func (s *sink) Close(ctx context.Context) error {
	if s.out == nil {
		return nil
	}
	if s.failed {
		return s.out.Abort()
	}
	return s.out.Commit()
}

// Abort discards the file being written, leaving the destination as it was.
// The engine does not call it yet (see the package documentation); tests do.
func (s *sink) Abort(ctx context.Context) error {
	if s.out == nil {
		return nil
	}
	return s.out.Abort()
}
