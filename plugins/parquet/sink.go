package parquet

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
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
	// Check that every column maps to a Parquet type before any I/O.
	opts := []pq.WriterProperty{
		pq.WithAllocator(host.Allocator()),
		pq.WithCompression(s.codec),
		pq.WithMaxRowGroupLength(int64(s.cfg.RowGroupRows)),
		pq.WithCreatedBy("sluice"),
		// Dictionary-encode text columns only: repeated strings (countries,
		// segments) shrink a lot, while numbers and timestamps, mostly
		// distinct, would build large hash tables only to fall back to plain
		// encoding, which costs a third of the writing time.
		pq.WithDictionaryDefault(false),
	}
	for _, f := range in.Fields() {
		switch f.Type.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY, arrow.DICTIONARY:
			opts = append(opts, pq.WithDictionaryFor(f.Name, true))
		}
	}
	props := pq.NewWriterProperties(opts...)
	arrowProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(host.Allocator()))
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
	fw, err := pqarrow.NewFileWriter(in, out, props, arrowProps)
	if err != nil {
		out.Abort()
		return err
	}
	s.out, s.fw = out, fw
	return nil
}

func (s *sink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	if s.fw == nil {
		return sdk.WriteResult{}, fmt.Errorf("parquet sink: Write before Open")
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
	fw.Close() // releases its buffers; the file is discarded anyway
	return out.Abort()
}
