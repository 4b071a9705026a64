package csv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/sluicedata/sluice/plugins/internal/chunkread"
	"github.com/sluicedata/sluice/sdk"
)

// Read decodes the files on every core (package chunkread) and emits one
// batch per BatchRows records, each with its checkpoint.
func (s *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	opts := chunkread.Options{Files: s.files, BatchRows: s.cfg.BatchRows, Workers: s.workers, MaxRecordBytes: maxRecordBytes}
	f := &format{src: s, splitter: parser{delim: s.delim, quote: s.quote}}
	if from != nil {
		s.host.Logger().Info("resuming after checkpoint", "checkpoint", string(from))
	}
	if err := chunkread.Read(ctx, opts, f, from, emit); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// format tells chunkread how CSV records end and what a file's header says.
type format struct {
	src *source
	// splitter is the splitter goroutine's parser.
	splitter parser
}

func (f *format) RecordEnd(buf []byte, pos int, atEOF bool) (int, chunkread.End) {
	end, st := f.splitter.skip(buf, pos, atEOF)
	switch st {
	case recordNeedMore:
		return end, chunkread.NeedMore
	case recordBlank:
		return end, chunkread.Blank
	}
	return end, chunkread.Record
}

func (f *format) NewDecoder() chunkread.Decoder { return f.src.newDecoder() }

// Header reads the header of a file and maps its columns to the schema's:
// the result is a []int, the schema column of each of the file's fields.
func (f *format) Header(file *os.File, path string) (any, int64, int64, error) {
	s := f.src
	identity := make([]int, len(s.names))
	for i := range identity {
		identity[i] = i
	}
	head := make([]byte, 0, 64<<10)
	eof := false
	p := &parser{delim: s.delim, quote: s.quote}
	pos, line := 0, int64(1)
	for {
		if pos == len(head) && eof {
			if s.cfg.Header {
				return nil, 0, 0, fmt.Errorf("%s is empty: it has no header line", path)
			}
			return identity, int64(pos), line, nil
		}
		end, st := p.parse(head, pos, eof)
		switch st {
		case recordNeedMore:
			if len(head) > maxRecordBytes {
				return nil, 0, 0, fmt.Errorf("%s: the header is longer than %d MiB; is a closing quote missing?", path, maxRecordBytes>>20)
			}
			if cap(head) == len(head) {
				head = slices.Grow(head, cap(head))
			}
			n, err := file.Read(head[len(head):cap(head)])
			head = head[:len(head)+n]
			if errors.Is(err, io.EOF) {
				eof = true
			} else if err != nil {
				return nil, 0, 0, fmt.Errorf("reading %s: %w", path, err)
			}
			continue
		case recordBlank:
			pos, line = end, line+int64(p.lines)
			continue
		}
		if !s.cfg.Header {
			if pos == 0 && len(head) >= len(bom) && string(head[:len(bom)]) == string(bom) {
				return identity, int64(len(bom)), 1, nil
			}
			return identity, 0, 1, nil
		}
		if st == recordBadQuote {
			return nil, 0, 0, fmt.Errorf("%s:%d: the header has a quoting mistake in field %d", path, line, p.badField+1)
		}
		names := headerNames(p.fields)
		offset, line := int64(end), line+int64(p.lines)
		if slices.Equal(names, s.names) {
			return identity, offset, line, nil
		}
		index := make(map[string]int, len(s.names))
		for i, n := range s.names {
			index[n] = i
		}
		colmap := make([]int, len(names))
		for i, n := range names {
			j, ok := index[n]
			if !ok || len(names) != len(s.names) || firstDuplicate(names) != "" {
				return nil, 0, 0, fmt.Errorf("%s has columns %s, but %s has %s: every file of a glob must have the same columns", path, quoteList(names), s.files[0], quoteList(s.names))
			}
			colmap[i] = j
		}
		return colmap, offset, line, nil
	}
}
