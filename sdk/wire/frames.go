package wire

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk/batches"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// msgSender and msgReceiver are the two halves of a gRPC data stream, on
// either side.
type msgSender interface{ Send(*pb.Msg) error }
type msgReceiver interface{ Recv() (*pb.Msg, error) }

// batchSender writes the batches of one direction of a data stream: each as
// a Batch header followed by its record batches, which together form one
// Arrow IPC stream whose schema is sent once, before the first record.
// When headed is set (both sides said headed_frames at Open) a header with
// records travels in the first frame it heads instead of a message of its
// own.
type batchSender struct {
	mu     sync.Mutex // held from a header to its last record
	s      msgSender
	limit  int64
	headed bool
	w      *flight.Writer
	// pending is the header the next frame carries.
	pending *pb.Batch
}

func newBatchSender(s msgSender, limit int64, headed bool) *batchSender {
	return &batchSender{s: s, limit: limit, headed: headed}
}

// Send implements flight.DataStreamWriter: one IPC message per Msg. gRPC
// serialises the message before Send returns, so the writer may reuse its
// buffers.
func (b *batchSender) sendFrame(fd *flight.FlightData) error {
	f := &pb.Frame{DataHeader: fd.DataHeader, DataBody: fd.DataBody, AppMetadata: fd.AppMetadata, Batch: b.pending}
	b.pending = nil
	return b.s.Send(&pb.Msg{Body: &pb.Msg_Frame{Frame: f}})
}

type frameWriter struct{ b *batchSender }

func (f frameWriter) Send(fd *flight.FlightData) error { return f.b.sendFrame(fd) }

// send writes h and then rec, which may be nil. A batch larger than the
// message limit is split by rows into several records, which the receiver
// joins: nothing is dropped for being large.
//
// A header sent alone, then its records, costs a second message, and gRPC's
// writer, finding the first message small and nothing else yet queued,
// yields its thread before flushing it: on a busy engine the records then
// wait behind other goroutines for milliseconds. Headed frames avoid both.
func (b *batchSender) send(h *pb.Batch, rec arrow.RecordBatch) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	parts := split(rec, b.limit)
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	h.Parts = uint32(len(parts))
	if rec != nil {
		h.Rows = rec.NumRows()
	}
	if b.headed && len(parts) > 0 {
		b.pending = h
	} else if err := b.s.Send(&pb.Msg{Body: &pb.Msg_Batch{Batch: h}}); err != nil {
		return err
	}
	defer func() { b.pending = nil }()
	for _, p := range parts {
		if b.w == nil {
			b.w = flight.NewRecordWriter(frameWriter{b}, ipc.WithSchema(p.Schema()))
		}
		if err := b.w.Write(p); err != nil {
			return fmt.Errorf("writing a batch of %d rows: %w", p.NumRows(), err)
		}
	}
	return nil
}

// sendMsg sends a control message between batches.
func (b *batchSender) sendMsg(m *pb.Msg) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.Send(m)
}

// split cuts rec into slices of at most limit bytes each, by its estimated
// size, retained for the caller. A row larger than the limit goes alone; a
// batch without rows goes as it is, since a call may carry one.
func split(rec arrow.RecordBatch, limit int64) []arrow.RecordBatch {
	if rec == nil {
		return nil
	}
	size, rows := batches.Size(rec), rec.NumRows()
	if limit <= 0 || size <= limit || rows <= 1 {
		rec.Retain()
		return []arrow.RecordBatch{rec}
	}
	per := max(1, rows*limit/size)
	var out []arrow.RecordBatch
	for off := int64(0); off < rows; off += per {
		out = append(out, rec.NewSlice(off, min(off+per, rows)))
	}
	return out
}

// batchReceiver reads the other direction: control messages, and the
// records that follow a Batch header. It takes a header carried in a frame
// (headed frames) as it takes one sent alone, whichever the sender chose.
type batchReceiver struct {
	r   msgReceiver
	mem memory.Allocator
	rdr *flight.Reader
	// pending is a frame that carried a header, for the IPC reader to read
	// next.
	pending *pb.Frame
}

func newBatchReceiver(r msgReceiver, mem memory.Allocator) *batchReceiver {
	return &batchReceiver{r: r, mem: mem}
}

var errProtocol = errors.New("protocol error")

// Recv implements flight.DataStreamReader for the IPC reader: it expects
// a frame.
func (b *batchReceiver) Recv() (*flight.FlightData, error) {
	if f := b.pending; f != nil {
		b.pending = nil
		return &flight.FlightData{DataHeader: f.DataHeader, DataBody: f.DataBody, AppMetadata: f.AppMetadata}, nil
	}
	m, err := b.r.Recv()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	f := m.GetFrame()
	if f == nil {
		return nil, fmt.Errorf("%w: expected an Arrow IPC frame, got %T", errProtocol, m.Body)
	}
	if f.Batch != nil {
		return nil, fmt.Errorf("%w: a batch header arrived before the records of the last", errProtocol)
	}
	return &flight.FlightData{DataHeader: f.DataHeader, DataBody: f.DataBody, AppMetadata: f.AppMetadata}, nil
}

// next returns the next control message: a header carried in a frame
// comes back as a Batch message, its frame kept for records.
func (b *batchReceiver) next() (*pb.Msg, error) {
	if b.pending != nil {
		return nil, fmt.Errorf("%w: a batch's records were not read", errProtocol)
	}
	m, err := b.r.Recv()
	if err != nil {
		return nil, err
	}
	if f := m.GetFrame(); f != nil {
		if f.Batch == nil || f.Batch.Parts == 0 {
			return nil, fmt.Errorf("%w: an Arrow IPC frame arrived without a batch header", errProtocol)
		}
		b.pending = f
		return &pb.Msg{Body: &pb.Msg_Batch{Batch: f.Batch}}, nil
	}
	return m, nil
}

// records reads the records that follow h and joins them into one batch,
// which the caller releases; nil when h has none.
func (b *batchReceiver) records(h *pb.Batch) (arrow.RecordBatch, error) {
	if h.Parts == 0 {
		return nil, nil
	}
	if b.rdr == nil {
		rdr, err := flight.NewRecordReader(b, ipc.WithAllocator(b.mem))
		if err != nil {
			return nil, err
		}
		b.rdr = rdr
	}
	parts := make([]arrow.RecordBatch, 0, h.Parts)
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for range h.Parts {
		if !b.rdr.Next() {
			err := b.rdr.Err()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		rec := b.rdr.RecordBatch()
		rec.Retain()
		parts = append(parts, rec)
	}
	rec, err := batches.Concat(b.mem, parts)
	if err != nil {
		return nil, err
	}
	if rec.NumRows() != h.Rows {
		rec.Release()
		return nil, fmt.Errorf("%w: a batch of %d rows arrived with %d", errProtocol, h.Rows, rec.NumRows())
	}
	return rec, nil
}

func (b *batchReceiver) release() {
	if b.rdr != nil {
		b.rdr.Release()
		b.rdr = nil
	}
}
