package parquet

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sluicedata/sluice/plugins/internal/atomicfile"
	"github.com/sluicedata/sluice/sdk"
)

var codecs = map[string]compress.Compression{
	"snappy": compress.Codecs.Snappy,
	"zstd":   compress.Codecs.Zstd,
	"gzip":   compress.Codecs.Gzip,
	"lz4":    compress.Codecs.Lz4Raw,
	"brotli": compress.Codecs.Brotli,
	"none":   compress.Codecs.Uncompressed,
}

type sink struct {
	cfg    SinkConfig
	host   sdk.Host
	schema *arrow.Schema
	codec  compress.Compression
	out    *atomicfile.File
	fw     *pqarrow.FileWriter
	failed bool
}

func newSink(cfg SinkConfig) (sdk.Sink, error) {
	var diags sdk.Diagnostics
	codec, ok := codecs[strings.ToLower(cfg.Compression)]
	if !ok {
		diags = append(diags, sdk.Errorf(sdk.Path{"compression"}, "unknown codec %q: use snappy, zstd, gzip, lz4, brotli or none", cfg.Compression)...)
	}
	if cfg.RowGroupRows < 1 {
		diags = append(diags, sdk.Errorf(sdk.Path{"row_group_rows"}, "must be at least 1, got %d", cfg.RowGroupRows)...)
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return &sink{cfg: cfg, codec: codec}, nil
}

func (s *sink) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) error {
	s.host, s.schema = host, in
	// Check that every column maps to a Parquet type before any I/O.
	props, arrowProps := s.properties(nil)
	if _, err := pqarrow.ToParquet(in, props, arrowProps); err != nil {
		return fmt.Errorf("the input cannot be written as Parquet: %w", err)
	}
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

// properties returns the writer properties. Text columns are dictionary
// encoded when the first batch suggests their values repeat (countries,
// segments); mostly distinct text (emails, phone numbers) and numbers would
// build large dictionaries only for the writer to fall back to plain
// encoding, which costs a third of the writing time and makes the file
// larger.
func (s *sink) properties(first arrow.RecordBatch) (*pq.WriterProperties, pqarrow.ArrowWriterProperties) {
	mem := s.host.Allocator()
	opts := []pq.WriterProperty{
		pq.WithAllocator(mem),
		pq.WithCompression(s.codec),
		pq.WithMaxRowGroupLength(int64(s.cfg.RowGroupRows)),
		pq.WithCreatedBy("sluice"),
		pq.WithDictionaryDefault(false),
	}
	if first != nil {
		for i, f := range s.schema.Fields() {
			if repetitive(first.Column(i)) {
				opts = append(opts, pq.WithDictionaryFor(f.Name, true))
			}
		}
	}
	return pq.NewWriterProperties(opts...), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem))
}

// repetitive reports whether a text column's sample of values has at most
// half as many distinct values as values.
func repetitive(col arrow.Array) bool {
	var value func(int) string
	switch a := col.(type) {
	case *array.String:
		value = a.Value
	case *array.LargeString:
		value = a.Value
	case *array.Dictionary:
		return true
	default:
		return false
	}
	n := min(col.Len(), 4096)
	distinct := make(map[string]struct{}, n/4)
	for i := range n {
		if col.IsValid(i) {
			distinct[value(i)] = struct{}{}
			if len(distinct) > n/2 {
				return false
			}
		}
	}
	return true
}

func (s *sink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	if s.out == nil {
		return sdk.WriteResult{}, fmt.Errorf("parquet sink: Write before Open")
	}
	if s.fw == nil {
		props, arrowProps := s.properties(rec)
		fw, err := pqarrow.NewFileWriter(s.schema, s.out, props, arrowProps)
		if err != nil {
			s.failed = true
			return sdk.WriteResult{}, fmt.Errorf("writing %s: %w", s.cfg.Path, err)
		}
		s.fw = fw
	}
	if err := s.fw.WriteBuffered(rec); err != nil {
		s.failed = true
		return sdk.WriteResult{}, fmt.Errorf("writing %s: %w", s.cfg.Path, err)
	}
	return sdk.WriteResult{}, nil
}

// Close writes the footer and renames the file into place, unless a write
// failed.
func (s *sink) Close(ctx context.Context) error {
	if s.out == nil {
		return nil
	}
	if s.failed {
		return s.Abort(ctx)
	}
	if s.fw == nil { // no rows: a file with the schema and no row groups
		props, arrowProps := s.properties(nil)
		fw, err := pqarrow.NewFileWriter(s.schema, s.out, props, arrowProps)
		if err != nil {
			s.failed = true
			return s.Abort(ctx)
		}
		s.fw = fw
	}
	fw, out := s.fw, s.out
	s.fw, s.out = nil, nil
	if err := fw.Close(); err != nil {
		out.Abort()
		return fmt.Errorf("writing %s: %w", s.cfg.Path, err)
	}
	return out.Commit()
}

// Abort discards the file being written, leaving the destination as it was.
func (s *sink) Abort(ctx context.Context) error {
	if s.out == nil {
		return nil
	}
	fw, out := s.fw, s.out
	s.fw, s.out = nil, nil
	if fw != nil {
		fw.Close() // releases its buffers; the file is discarded anyway
	}
	return out.Abort()
}
