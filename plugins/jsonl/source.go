package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/chunkread"
	"github.com/sluicedata/sluice/plugins/internal/coltype"
	"github.com/sluicedata/sluice/plugins/internal/fileset"
	"github.com/sluicedata/sluice/sdk"
)

// maxLineBytes bounds one line, so a file without line breaks cannot make
// the source hold all of it.
const maxLineBytes = 64 << 20

type source struct {
	cfg     SourceConfig
	workers int
	host    sdk.Host
	files   []string
	schema  *arrow.Schema
	index   map[string]int // column by key
}

func newSource(cfg SourceConfig) (sdk.Source, error) {
	var diags sdk.Diagnostics
	if cfg.BatchRows < 1 {
		diags = append(diags, sdk.Errorf(sdk.Path{"batch_rows"}, "must be at least 1, got %d", cfg.BatchRows)...)
	}
	if cfg.InferRows < 0 {
		diags = append(diags, sdk.Errorf(sdk.Path{"infer_rows"}, "must not be negative, got %d", cfg.InferRows)...)
	}
	for name, typ := range cfg.Schema {
		if _, err := coltype.Parse(typ); err != nil {
			diags = append(diags, sdk.Errorf(sdk.Path{"schema", name}, "%v", err)...)
		}
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return &source{cfg: cfg, workers: runtime.GOMAXPROCS(0)}, nil
}

// Open finds the files and settles the schema: the keys of the sampled
// lines in the order first seen, then declared keys the sample lacks.
func (s *source) Open(ctx context.Context, host sdk.Host) (*arrow.Schema, error) {
	s.host = host
	files, err := fileset.Expand(s.cfg.Path)
	if err != nil {
		return nil, sdk.Errorf(sdk.Path{"path"}, "%v", err)
	}
	s.files = files
	keys, infer, err := s.sample(files[0])
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(keys))
	var fields []arrow.Field
	for i, k := range keys {
		seen[k] = true
		dt := infer[i].typ()
		if decl, ok := s.cfg.Schema[k]; ok {
			dt, _ = coltype.Parse(decl)
		}
		fields = append(fields, arrow.Field{Name: k, Type: dt, Nullable: true})
	}
	for _, k := range slices.Sorted(maps.Keys(s.cfg.Schema)) {
		if !seen[k] {
			dt, _ := coltype.Parse(s.cfg.Schema[k])
			fields = append(fields, arrow.Field{Name: k, Type: dt, Nullable: true})
		}
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("%s: no keys in the first %d lines; declare the columns with schema = { … }", files[0], s.cfg.InferRows)
	}
	s.schema = arrow.NewSchema(fields, nil)
	s.index = make(map[string]int, len(fields))
	for i, f := range fields {
		s.index[f.Name] = i
	}
	return s.schema, nil
}

// inference infers a key's type from the JSON types of its sampled values.
type inference struct {
	kinds uint8 // bit per kind seen, nulls excluded
	float bool  // a number was not an integer
	text  coltype.Inferrer
}

func (in *inference) observe(v value) {
	if v.kind == kindNull {
		return
	}
	k := v.kind
	if k == kindFalse {
		k = kindTrue
	}
	in.kinds |= 1 << k
	switch v.kind {
	case kindNumber:
		if !in.float && !isInteger(v.raw) {
			in.float = true
		}
	case kindString:
		if v.escaped {
			raw, _ := unescape(nil, v.raw)
			in.text.Observe(raw)
		} else {
			in.text.Observe(v.raw)
		}
	}
}

func isInteger(raw []byte) bool {
	for i, c := range raw {
		if (c < '0' || c > '9') && !(i == 0 && c == '-') {
			return false
		}
	}
	return len(raw) <= 19
}

func (in *inference) typ() arrow.DataType {
	switch in.kinds {
	case 1 << kindNumber:
		if in.float {
			return arrow.PrimitiveTypes.Float64
		}
		return arrow.PrimitiveTypes.Int64
	case 1 << kindTrue:
		return arrow.FixedWidthTypes.Boolean
	case 1 << kindString:
		switch dt := in.text.Type(); dt.ID() {
		case arrow.TIMESTAMP, arrow.DATE32:
			return dt
		}
	}
	return arrow.BinaryTypes.String
}

// sample reads up to InferRows lines of a file and returns the keys in the
// order first seen, with their inferred types. Lines that are not JSON
// objects are skipped here; reading rejects them.
func (s *source) sample(path string) ([]string, []inference, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var keys []string
	var infer []inference
	index := map[string]int{}
	var scratch []byte
	for n := 0; n < s.cfg.InferRows; {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line: read it whole.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) && len(long) <= maxLineBytes {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(bytes.TrimSpace(line)) > 0 {
			n++
			scanObject(line, func(key []byte, escaped bool, v value) {
				if escaped {
					scratch, _ = unescape(scratch[:0], key)
					key = scratch
				}
				i, ok := index[string(key)]
				if !ok {
					i = len(keys)
					index[string(key)] = i
					keys = append(keys, string(key))
					infer = append(infer, inference{})
				}
				infer[i].observe(v)
			})
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	return keys, infer, nil
}

// Read decodes the files on every core (package chunkread) and emits one
// batch per BatchRows lines, each with its checkpoint.
func (s *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	opts := chunkread.Options{Files: s.files, BatchRows: s.cfg.BatchRows, Workers: s.workers, MaxRecordBytes: maxLineBytes}
	if from != nil {
		s.host.Logger().Info("resuming after checkpoint", "checkpoint", string(from))
	}
	if err := chunkread.Read(ctx, opts, format{s}, from, emit); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("jsonl: %w", err)
	}
	return nil
}

// Close implements sdk.Source; Read cleans up after itself.
func (s *source) Close(context.Context) error { return nil }

// format tells chunkread that records are lines.
type format struct{ src *source }

func (format) RecordEnd(buf []byte, pos int, atEOF bool) (int, chunkread.End) {
	rest := buf[pos:]
	nl := bytes.IndexByte(rest, '\n')
	line, end := rest, len(buf)
	switch {
	case nl >= 0:
		line, end = rest[:nl], pos+nl+1
	case !atEOF:
		return pos, chunkread.NeedMore
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return end, chunkread.Blank
	}
	return end, chunkread.Record
}

func (format) Header(f *os.File, path string) (any, int64, int64, error) {
	// Skip a UTF-8 byte order mark.
	var head [3]byte
	if n, _ := io.ReadFull(f, head[:]); n == 3 && string(head[:]) == "\xef\xbb\xbf" {
		return nil, 3, 1, nil
	}
	return nil, 0, 1, nil
}

func (f format) NewDecoder() chunkread.Decoder { return f.src.newDecoder() }
