package jsonl

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/plugins/internal/atomicfile"
	"github.com/sluicedata/sluice/plugins/internal/valfmt"
	"github.com/sluicedata/sluice/sdk"
)

type sink struct {
	cfg    SinkConfig
	enc    *valfmt.JSONLines
	out    *atomicfile.File
	buf    []byte
	failed bool
}

func newSink(cfg SinkConfig) (sdk.Sink, error) {
	if cfg.Path == "" {
		return nil, sdk.Errorf(sdk.Path{"path"}, "must not be empty")
	}
	return &sink{cfg: cfg}, nil
}

func (s *sink) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) error {
	for _, f := range in.Fields() {
		empty := array.MakeArrayOfNull(host.Allocator(), f.Type, 0)
		_, err := valfmt.JSON(empty)
		empty.Release()
		if err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
	}
	s.enc = valfmt.NewJSONLines(in)
	if host.Offline() {
		return nil
	}
	out, err := atomicfile.Create(s.cfg.Path)
	if err != nil {
		return sdk.Errorf(sdk.Path{"path"}, "%v", err)
	}
	s.out = out
	return nil
}

// flushAt is the buffer size at which Write passes encoded rows to the file,
// so a large batch does not double its size in memory as JSON.
const flushAt = 4 << 20

func (s *sink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	if s.out == nil {
		return sdk.WriteResult{}, fmt.Errorf("jsonl sink: Write before Open")
	}
	if err := s.enc.Bind(rec); err != nil {
		s.failed = true
		return sdk.WriteResult{}, err
	}
	rows := int(rec.NumRows())
	const step = 1024
	for from := 0; from < rows; from += step {
		s.buf = s.enc.Append(s.buf, from, min(from+step, rows))
		if len(s.buf) >= flushAt || from+step >= rows {
			if _, err := s.out.Write(s.buf); err != nil {
				s.failed = true
				return sdk.WriteResult{}, fmt.Errorf("writing %s: %w", s.cfg.Path, err)
			}
			s.buf = s.buf[:0]
		}
	}
	return sdk.WriteResult{}, nil
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
func (s *sink) Abort(ctx context.Context) error {
	if s.out == nil {
		return nil
	}
	return s.out.Abort()
}
