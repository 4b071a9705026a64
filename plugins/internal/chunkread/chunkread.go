// Package chunkread reads line-oriented files (CSV, JSON lines) on every
// core while emitting batches in file order.
//
// A splitter goroutine reads each file sequentially and cuts it into chunks
// of whole records — it only has to find where records end, which is cheap
// — and a pool of decoders, one per core, turns chunks into record batches.
// The emitter passes them downstream in order. Each batch is one chunk, so
// the checkpoint after it is the chunk's end: file, byte offset and line.
//
// At most two chunks per decoder are in flight, read or decoded, so memory
// stays flat however large the input. Cancelling the context stops every
// goroutine, and Read returns only after all have exited and every batch not
// emitted has been released.
package chunkread

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
	"github.com/sluicedata/sluice/sdk"
)

// End says where a record ends.
type End uint8

const (
	// Record is a complete record.
	Record End = iota
	// Blank is a blank line, which is skipped and not counted.
	Blank
	// NeedMore means the record does not end within the data given.
	NeedMore
)

// Chunk is a run of whole records of one file.
type Chunk struct {
	Seq int
	// Path is the file, and Header what the Format's Header returned for it.
	Path   string
	Header any
	// Data holds the records. Line is the line number of Data[0].
	Data []byte
	Line int64
	// End is the position after the chunk: its checkpoint.
	End fileset.Position
	buf *[]byte
}

// Format is what a file format tells the reader.
type Format interface {
	// RecordEnd returns where the record at buf[pos:] ends (after its line
	// break) and whether it is a record, a blank line, or incomplete. atEOF
	// says that buf ends where the file does.
	RecordEnd(buf []byte, pos int, atEOF bool) (int, End)
	// Header reads a file's header, if the format has one, and returns what
	// the decoders need to know about the file, and the byte offset and
	// line number where its records start.
	Header(f *os.File, path string) (header any, offset, line int64, err error)
	// NewDecoder returns a decoder for one goroutine.
	NewDecoder() Decoder
}

// Decoder turns a chunk into a batch. The data of the chunk is reused once
// Decode returns, so the batch must not refer to it.
type Decoder interface {
	Decode(c *Chunk) sdk.Batch
}

// Options are the settings of one Read.
type Options struct {
	Files     []string
	BatchRows int
	Workers   int
	// MaxRecordBytes bounds one record, so a missing closing quote cannot
	// make the reader hold the rest of a large file.
	MaxRecordBytes int
}

// readSize is how much the splitter reads at a time. The part of a read past
// the last record of a chunk is copied to the next chunk, so reads are small
// compared with chunks.
const readSize = 256 << 10

// Read reads the files from the checkpoint from (or the start) and emits one
// batch per chunk, in order.
func Read(ctx context.Context, opts Options, format Format, from sdk.Checkpoint, emit sdk.Emitter) error {
	fileIndex := 0
	var resume *fileset.Position
	if from != nil {
		pos, err := fileset.DecodePosition(from)
		if err != nil {
			return err
		}
		i, inside := fileset.Resume(opts.Files, pos)
		fileIndex = i
		if inside {
			resume = &pos
		}
	}
	workers := max(opts.Workers, 1)
	r := &reader{opts: opts, format: format, bufs: &bufPool{}}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inFlight := 2 * workers
	slots := make(chan struct{}, inFlight)
	chunks := make(chan *Chunk)
	results := make(chan *Chunk, inFlight)
	batches := make(map[int]sdk.Batch, inFlight)
	var mu sync.Mutex

	var split sync.WaitGroup
	var splitErr error
	split.Go(func() {
		defer close(chunks)
		splitErr = r.split(ctx, fileIndex, resume, slots, chunks)
	})
	var decoders sync.WaitGroup
	for range workers {
		decoders.Go(func() {
			d := format.NewDecoder()
			for c := range chunks {
				batch := d.Decode(c)
				r.bufs.put(c.buf)
				c.buf, c.Data = nil, nil
				mu.Lock()
				batches[c.Seq] = batch
				mu.Unlock()
				results <- c // never blocks: the chunk holds a slot
			}
		})
	}
	go func() {
		decoders.Wait()
		close(results)
	}()

	// Emit in order. After a failure, keep receiving to release what the
	// decoders still produce.
	var emitErr error
	ready := make(map[int]bool, inFlight)
	next := 0
	for c := range results {
		ready[c.Seq] = true
		for ready[next] {
			delete(ready, next)
			mu.Lock()
			b := batches[next]
			delete(batches, next)
			mu.Unlock()
			next++
			if emitErr == nil {
				if err := emit.Emit(ctx, b); err != nil {
					emitErr = err
					cancel()
				}
			}
			b.Record.Release()
			<-slots
		}
	}
	for _, b := range batches {
		b.Record.Release()
	}
	split.Wait()
	switch {
	case emitErr != nil:
		return emitErr
	case splitErr != nil && ctx.Err() != nil:
		return ctx.Err()
	}
	return splitErr
}

type reader struct {
	opts   Options
	format Format
	bufs   *bufPool
}

func (r *reader) split(ctx context.Context, fileIndex int, resume *fileset.Position, slots chan struct{}, out chan<- *Chunk) error {
	seq := 0
	for ; fileIndex < len(r.opts.Files); fileIndex++ {
		var err error
		seq, err = r.splitFile(ctx, r.opts.Files[fileIndex], resume, seq, slots, out)
		if err != nil {
			return err
		}
		resume = nil
	}
	return nil
}

var newline = []byte{'\n'}

func (r *reader) splitFile(ctx context.Context, path string, resume *fileset.Position, seq int, slots chan struct{}, out chan<- *Chunk) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return seq, err
	}
	defer f.Close()
	header, offset, line, err := r.format.Header(f, path)
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
	maxRecord := r.opts.MaxRecordBytes
	if maxRecord <= 0 {
		maxRecord = 64 << 20
	}
	var carry []byte
	eof := false
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return seq, ctx.Err()
		}
		bp := r.bufs.get()
		buf := append((*bp)[:0], carry...)
		scan, records := 0, 0
		for records < r.opts.BatchRows {
			if scan == len(buf) && eof {
				break
			}
			end, kind := r.format.RecordEnd(buf, scan, eof)
			if kind == NeedMore {
				if len(buf)-scan > maxRecord {
					r.bufs.put(bp)
					return seq, fmt.Errorf("%s:%d: a record is longer than %d MiB; is a closing quote missing?", path, line+int64(bytes.Count(buf[:scan], newline)), maxRecord>>20)
				}
				if cap(buf)-len(buf) < readSize {
					buf = slices.Grow(buf, max(readSize, cap(buf)))
				}
				n, err := f.Read(buf[len(buf):min(cap(buf), len(buf)+readSize)])
				buf = buf[:len(buf)+n]
				if errors.Is(err, io.EOF) {
					eof = true
				} else if err != nil {
					r.bufs.put(bp)
					return seq, fmt.Errorf("reading %s: %w", path, err)
				}
				continue
			}
			if kind == Record {
				records++
			}
			scan = end
		}
		*bp = buf
		if scan == 0 {
			r.bufs.put(bp)
			<-slots
			return seq, nil
		}
		carry = append(carry[:0], buf[scan:]...)
		c := &Chunk{Seq: seq, Path: path, Header: header, Data: buf[:scan], buf: bp, Line: line}
		offset += int64(scan)
		line += int64(bytes.Count(c.Data, newline))
		c.End = fileset.Position{File: path, Offset: offset, Line: line}
		select {
		case out <- c:
		case <-ctx.Done():
			r.bufs.put(bp)
			return seq, ctx.Err()
		}
		seq++
		if eof && len(carry) == 0 {
			return seq, nil
		}
	}
}

// bufPool recycles chunk buffers. Unlike a sync.Pool it keeps them across
// garbage collections: they are large, and a read needs the same few from
// the first chunk to the last.
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
