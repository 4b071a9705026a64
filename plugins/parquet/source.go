package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sluicedata/sluice/plugins/internal/fileset"
	"github.com/sluicedata/sluice/sdk"
)

type source struct {
	cfg     SourceConfig
	host    sdk.Host
	files   []string
	schema  *arrow.Schema
	columns []int // leaf column indexes to read, or nil for all
}

func newSource(cfg SourceConfig) (sdk.Source, error) {
	if cfg.BatchRows < 1 {
		return nil, sdk.Errorf(sdk.Path{"batch_rows"}, "must be at least 1, got %d", cfg.BatchRows)
	}
	return &source{cfg: cfg}, nil
}

// open opens one file for reading with pqarrow.
func (s *source) open(path string) (*pqarrow.FileReader, *file.Reader, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", path, err)
	}
	props := pqarrow.ArrowReadProperties{BatchSize: int64(s.cfg.BatchRows), Parallel: true}
	fr, err := pqarrow.NewFileReader(pf, props, s.host.Allocator())
	if err != nil {
		pf.Close()
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return fr, pf, nil
}

// Open reads the first file's schema, selecting the configured columns.
func (s *source) Open(ctx context.Context, host sdk.Host) (*arrow.Schema, error) {
	s.host = host
	files, err := fileset.Expand(s.cfg.Path)
	if err != nil {
		return nil, sdk.Errorf(sdk.Path{"path"}, "%v", err)
	}
	s.files = files
	fr, pf, err := s.open(files[0])
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	schema, err := s.fileSchema(fr, files[0])
	if err != nil {
		return nil, err
	}
	s.schema = schema
	return schema, nil
}

// fileSchema returns the schema of a file, restricted to the configured
// columns, without metadata: batches from every file must have the schema
// Open reported, and files written by different tools carry different
// metadata.
func (s *source) fileSchema(fr *pqarrow.FileReader, path string) (*arrow.Schema, error) {
	full, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("reading the schema of %s: %w", path, err)
	}
	var fields []arrow.Field
	if len(s.cfg.Columns) == 0 {
		fields = full.Fields()
	} else {
		s.columns = s.columns[:0]
		for i, name := range s.cfg.Columns {
			idx := full.FieldIndices(name)
			if len(idx) == 0 {
				return nil, sdk.Errorf(sdk.Path{"columns", fmt.Sprint(i)}, "%s has no column %q", path, name)
			}
			fields = append(fields, full.Field(idx[0]))
			s.columns = append(s.columns, idx[0])
		}
	}
	for i := range fields {
		fields[i].Metadata = arrow.Metadata{}
	}
	return arrow.NewSchema(fields, nil), nil
}

// Read reads the files row group by row group from the checkpoint.
func (s *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	fileIndex, rowGroup, skip := 0, 0, int64(0)
	if from != nil {
		pos, err := fileset.DecodePosition(from)
		if err != nil {
			return err
		}
		s.host.Logger().Info("resuming after checkpoint", "file", pos.File, "row_group", pos.RowGroup, "rows", pos.Offset)
		i, inside := fileset.Resume(s.files, pos)
		fileIndex = i
		if inside {
			rowGroup, skip = pos.RowGroup, pos.Offset
		}
	}
	for ; fileIndex < len(s.files); fileIndex++ {
		if err := s.readFile(ctx, s.files[fileIndex], rowGroup, skip, emit); err != nil {
			return err
		}
		rowGroup, skip = 0, 0
	}
	return nil
}

func (s *source) readFile(ctx context.Context, path string, rowGroup int, skip int64, emit sdk.Emitter) error {
	fr, pf, err := s.open(path)
	if err != nil {
		return err
	}
	defer pf.Close()
	schema, err := s.fileSchema(fr, path)
	if err != nil {
		return err
	}
	if !schema.Equal(s.schema) {
		return fmt.Errorf("%s has schema\n%s\nbut %s has\n%s\nevery file of a glob must have the same columns", path, schema, s.files[0], s.schema)
	}
	for rg := rowGroup; rg < pf.NumRowGroups(); rg++ {
		if err := s.readRowGroup(ctx, fr, path, rg, skip, emit); err != nil {
			return err
		}
		skip = 0
	}
	return nil
}

func (s *source) readRowGroup(ctx context.Context, fr *pqarrow.FileReader, path string, rg int, skip int64, emit sdk.Emitter) error {
	rr, err := fr.GetRecordReader(ctx, s.columns, []int{rg})
	if err != nil {
		return fmt.Errorf("%s: row group %d: %w", path, rg, err)
	}
	defer rr.Release()
	var done int64 // rows of the row group read so far
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := rr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: row group %d: %w", path, rg, err)
		}
		n := rec.NumRows()
		start := int64(0)
		if done < skip {
			start = min(skip-done, n)
		}
		done += n
		if start == n {
			continue
		}
		cols := rec.Columns()
		if start > 0 {
			sliced := make([]arrow.Array, len(cols))
			for i, c := range cols {
				sliced[i] = array.NewSlice(c, start, n)
				defer sliced[i].Release()
			}
			cols = sliced
		}
		out := array.NewRecordBatch(s.schema, cols, n-start)
		cp := fileset.Position{File: path, RowGroup: rg, Offset: done}
		err = emit.Emit(ctx, sdk.Batch{Record: out, Checkpoint: cp.Encode()})
		out.Release()
		if err != nil {
			return err
		}
	}
}

// Close implements sdk.Source; Read closes the files it opens.
func (s *source) Close(context.Context) error { return nil }
