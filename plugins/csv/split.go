package csv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/sluicedata/sluice/plugins/internal/fileset"
)

// chunk is a run of whole records of one file: the unit a decoder turns into
// one batch.
type chunk struct {
	seq    int
	path   string
	colmap []int // colmap[i] is the schema column of the file's field i
	data   []byte
	buf    *[]byte // data's backing array, for the pool once decoded
	line   int64   // line number of data[0]
	end    fileset.Position
}

// readSize is how much the splitter reads at a time. The part of a read
// past the last record of a chunk is copied to the next chunk, so reads are
// small compared with chunks.
const readSize = 256 << 10

// bufPool recycles chunk buffers. Unlike a sync.Pool it keeps them across
// garbage collections: they are large, and a source needs the same few
// from the first chunk to the last.
type bufPool struct {
	mu   sync.Mutex
	free []*[]byte
}

func (p *bufPool) get() *[]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	b := make([]byte, 0, 4<<20)
	return &b
}

func (p *bufPool) put(b *[]byte) {
	p.mu.Lock()
	p.free = append(p.free, b)
	p.mu.Unlock()
}

// split reads the files from start and sends chunks of BatchRows records to
// out. It takes a slot before reading each chunk, which bounds the chunks in
// flight.
func (s *source) split(ctx context.Context, fileIndex int, resume *fileset.Position, slots chan struct{}, out chan<- *chunk) error {
	seq := 0
	for ; fileIndex < len(s.files); fileIndex++ {
		var err error
		seq, err = s.splitFile(ctx, s.files[fileIndex], resume, seq, slots, out)
		if err != nil {
			return err
		}
		resume = nil
	}
	return nil
}

func (s *source) splitFile(ctx context.Context, path string, resume *fileset.Position, seq int, slots chan struct{}, out chan<- *chunk) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return seq, err
	}
	defer f.Close()
	colmap, offset, line, err := s.fileHeader(f, path)
	if err != nil {
		return seq, err
	}
	if resume != nil {
		if resume.Offset < offset {
			return seq, fmt.Errorf("checkpoint at byte %d of %s is inside its header", resume.Offset, path)
		}
		offset, line = resume.Offset, resume.Line
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return seq, fmt.Errorf("%s: %w", path, err)
	}
	p := &parser{delim: s.delim, quote: s.quote}
	var carry []byte
	eof := false
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return seq, ctx.Err()
		}
		bp := s.bufs.get()
		buf := append((*bp)[:0], carry...)
		scan, records := 0, 0
		for records < s.cfg.BatchRows {
			if scan == len(buf) && eof {
				break
			}
			end, st := p.skip(buf, scan, eof)
			if st == recordNeedMore {
				if len(buf)-scan > maxRecordBytes {
					return seq, fmt.Errorf("%s:%d: a record is longer than %d MiB; is a closing quote missing?", path, line+int64(bytes.Count(buf[:scan], newline)), maxRecordBytes>>20)
				}
				if cap(buf)-len(buf) < readSize {
					buf = slices.Grow(buf, max(readSize, cap(buf)))
				}
				n, err := f.Read(buf[len(buf):min(cap(buf), len(buf)+readSize)])
				buf = buf[:len(buf)+n]
				if errors.Is(err, io.EOF) {
					eof = true
				} else if err != nil {
					return seq, fmt.Errorf("reading %s: %w", path, err)
				}
				continue
			}
			if st != recordBlank {
				records++
			}
			scan = end
		}
		*bp = buf
		if scan == 0 {
			s.bufs.put(bp)
			<-slots
			return seq, nil
		}
		carry = append(carry[:0], buf[scan:]...)
		c := &chunk{seq: seq, path: path, colmap: colmap, data: buf[:scan], buf: bp, line: line}
		offset += int64(scan)
		line += int64(bytes.Count(c.data, newline))
		c.end = fileset.Position{File: path, Offset: offset, Line: line}
		select {
		case out <- c:
		case <-ctx.Done():
			return seq, ctx.Err()
		}
		seq++
		if eof && len(carry) == 0 {
			return seq, nil
		}
	}
}

// fileHeader reads the header of a file and maps its columns to the
// schema's. It returns the offset and line number where the data starts.
func (s *source) fileHeader(f *os.File, path string) (colmap []int, offset, line int64, err error) {
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
			n, err := f.Read(head[len(head):cap(head)])
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
			if pos == 0 && bytes.HasPrefix(head, bom) {
				return identity, int64(len(bom)), 1, nil
			}
			return identity, 0, 1, nil
		}
		if st == recordBadQuote {
			return nil, 0, 0, fmt.Errorf("%s:%d: the header has a quoting mistake in field %d", path, line, p.badField+1)
		}
		names := headerNames(p.fields)
		offset, line = int64(end), line+int64(p.lines)
		if slices.Equal(names, s.names) {
			return identity, offset, line, nil
		}
		index := make(map[string]int, len(s.names))
		for i, n := range s.names {
			index[n] = i
		}
		colmap = make([]int, len(names))
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
