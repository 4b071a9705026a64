package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

type serverStream interface {
	msgSender
	msgReceiver
	Context() context.Context
}

// start reads the Start message that opens every data stream.
func (s *Server) start(stream serverStream) (*instance, *pb.Start, error) {
	m, err := stream.Recv()
	if err != nil {
		return nil, nil, err
	}
	st := m.GetStart()
	if st == nil {
		return nil, nil, fmt.Errorf("%w: a data stream must open with Start", errProtocol)
	}
	in, err := s.instance(st.Instance)
	if err != nil {
		return nil, nil, err
	}
	if in.host == nil {
		return nil, nil, fmt.Errorf("%w: instance %d is not open", errProtocol, st.Instance)
	}
	return in, st, nil
}

// Read runs a source's Read, sending its batches as the engine grants
// credit.
func (s *Server) Read(stream pb.Plugin_ReadServer) error {
	defer s.running("Read")()
	in, st, err := s.start(stream)
	if err != nil {
		return err
	}
	if in.source == nil {
		return fmt.Errorf("%w: instance %d is not a source", errProtocol, in.id)
	}
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	window := max(int(st.Window), 1)
	em := &serverEmitter{
		snd:     newBatchSender(stream, splitLimit(s.opts.MaxMessageBytes), in.headed),
		credits: make(chan struct{}, window),
		schema:  in.out,
	}
	for range window {
		em.credits <- struct{}{}
	}
	// Credits arrive while Read runs; the end of the stream from the
	// engine's side stops Read.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			m, err := stream.Recv()
			if err != nil {
				if err == io.EOF {
					err = context.Canceled
				}
				cancel(err)
				return
			}
			c := m.GetCredit()
			if c == nil {
				cancel(fmt.Errorf("%w: expected Credit during Read", errProtocol))
				return
			}
			for range c.N {
				select {
				case em.credits <- struct{}{}:
				default:
					cancel(fmt.Errorf("%w: credit beyond the window", errProtocol))
					return
				}
			}
		}
	}()
	var from sdk.Checkpoint
	if st.HasCheckpoint {
		from = checkpoint(st.Checkpoint)
	}
	readErr := in.source.Read(ctx, from, em)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause // a protocol error: the engine misbehaved
	}
	err = em.snd.sendMsg(&pb.Msg{Body: &pb.Msg_End{End: &pb.End{Error: encodeError(readErr)}}})
	cancel(nil)
	wg.Wait()
	return err
}

// serverEmitter sends a source's batches, each once it holds a credit.
type serverEmitter struct {
	snd     *batchSender
	credits chan struct{}
	seq     uint64
	schema  *arrow.Schema
}

func (e *serverEmitter) Emit(ctx context.Context, b sdk.Batch) error {
	if b.Record == nil {
		return fmt.Errorf("emitted a batch without a record")
	}
	select {
	case <-e.credits:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	e.seq++
	h := &pb.Batch{Seq: e.seq, Rejects: encodeRowErrors(b.Rejects), Checkpoint: b.Checkpoint, HasCheckpoint: b.Checkpoint != nil}
	if err := e.snd.send(h, b.Record); err != nil {
		return fmt.Errorf("sending a batch to the engine: %w", err)
	}
	return nil
}

// Process runs a transform's Process and Flush calls, one at a time, in
// the order the engine sends them. The engine may send several before it
// reads the first result (up to Start.window); they wait in the stream
// until they are read, and each is answered in turn.
//
// Reading a call, processing it and sending its result are three stages,
// each in its own goroutine, so that while the transform processes one
// call the next is being received and decoded and the last result encoded
// and sent: the transform still sees one call at a time, in order, but
// the process boundary no longer adds its time to every call's. A
// projected transform receives only the columns it reads, widened with
// all-null placeholders, and answers with only the columns it computes,
// or its Keep.
func (s *Server) Process(stream pb.Plugin_ProcessServer) error {
	defer s.running("Process")()
	in, _, err := s.start(stream)
	if err != nil {
		return err
	}
	if in.tr == nil {
		return fmt.Errorf("%w: instance %d is not a transform", errProtocol, in.id)
	}
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	calls := make(chan call, 1)
	read := make(chan error, 1)
	go func() { read <- s.readCalls(ctx, stream, calls) }()
	replies := make(chan reply, 1)
	sent := make(chan error, 1)
	go func() {
		sent <- sendReplies(newBatchSender(stream, splitLimit(s.opts.MaxMessageBytes), in.headed), replies, cancel)
	}()

	// A stream the engine abandoned may still be in a call: this one, and
	// Close, wait for it.
	if err = in.hold(ctx); err == nil {
		err = s.processCalls(ctx, in, calls, replies)
		in.free()
	}
	close(replies)
	if err != nil {
		cancel(err)
	}
	if serr := <-sent; err == nil && serr != nil {
		err = serr
		cancel(err)
	}
	if err != nil {
		// The reader may be waiting for a call the engine will not send
		// now: it ends when the stream does, once this returns, and what
		// it decoded meanwhile is released then.
		go drain(calls)
		return err
	}
	return <-read
}

// call is a call read and decoded: its header and, for Process, its batch
// as received; or the error that ended reading.
type call struct {
	h   *pb.Batch
	rec arrow.RecordBatch
	err error
}

// reply is a result to send, with its batch, which the sender releases.
type reply struct {
	h   *pb.Batch
	rec arrow.RecordBatch
}

// readCalls reads calls until the engine ends the stream, decoding each
// batch ahead of the transform. It closes calls when it returns: nil at
// the end of the stream, or the error after sending it as a call.
func (s *Server) readCalls(ctx context.Context, stream pb.Plugin_ProcessServer, calls chan<- call) error {
	defer close(calls)
	rcv := newBatchReceiver(stream, s.opts.Allocator)
	defer rcv.release()
	fail := func(err error) error {
		select {
		case calls <- call{err: err}:
		case <-ctx.Done():
		}
		return err
	}
	for {
		m, err := rcv.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fail(err)
		}
		h := m.GetBatch()
		if h == nil {
			return fail(fmt.Errorf("%w: expected a Batch", errProtocol))
		}
		var rec arrow.RecordBatch
		if !h.Flush {
			if rec, err = rcv.records(h); err != nil {
				return fail(err)
			}
			if rec == nil {
				return fail(fmt.Errorf("%w: a Process call without a batch", errProtocol))
			}
		}
		select {
		case calls <- call{h: h, rec: rec}:
		case <-ctx.Done():
			if rec != nil {
				rec.Release()
			}
			return context.Cause(ctx)
		}
	}
}

// processCalls runs the transform on each call in turn and hands its
// result to the sender. It returns when the calls end, or with the error
// that ends the stream.
func (s *Server) processCalls(ctx context.Context, in *instance, calls <-chan call, replies chan<- reply) error {
	var wide *widener
	if in.proj != nil {
		wide = &widener{p: in.proj, mem: s.opts.Allocator, nulls: make([]arrow.Array, in.proj.in.NumFields())}
		defer wide.release()
	}
	for c := range calls {
		if c.err != nil {
			return c.err
		}
		h, rec := c.h, c.rec
		var res sdk.Result
		var err error
		if h.Flush {
			f, ok := in.tr.(sdk.Flusher)
			if !ok {
				return fmt.Errorf("%w: the transform does not flush", errProtocol)
			}
			res, err = f.Flush(ctx)
		} else {
			if wide != nil {
				full, err := wide.widen(rec)
				rec.Release()
				if err != nil {
					return err
				}
				rec = full
			}
			res, err = in.tr.Process(ctx, rec)
		}
		out := &pb.Batch{Seq: h.Seq, Flush: h.Flush, Rejects: encodeRowErrors(res.Rejects), Filtered: int64(res.Filtered), Deduplicated: int64(res.Deduplicated), Error: encodeError(err)}
		var send arrow.RecordBatch
		if err == nil {
			var cerr error
			send, cerr = s.resultRecord(ctx, in, rec, res, out)
			if cerr != nil {
				out.Error = encodeError(cerr)
			}
		} else {
			if res.Out != nil {
				res.Out.Release()
			}
			if res.Keep != nil {
				res.Keep.Release()
			}
		}
		if rec != nil {
			rec.Release()
		}
		select {
		case replies <- reply{h: out, rec: send}:
		case <-ctx.Done():
			if send != nil {
				send.Release()
			}
			return context.Cause(ctx)
		}
	}
	return nil
}

// sendReplies sends each result in turn. A failure stops the other
// stages; the results still coming are released unsent.
func sendReplies(snd *batchSender, replies <-chan reply, stop context.CancelCauseFunc) error {
	var err error
	for r := range replies {
		if err == nil {
			if err = snd.send(r.h, r.rec); err != nil {
				stop(err)
			}
		}
		if r.rec != nil {
			r.rec.Release()
		}
	}
	return err
}

// drain releases the calls still decoded, until the reader closes calls.
func drain(calls <-chan call) {
	for c := range calls {
		if c.rec != nil {
			c.rec.Release()
		}
	}
}

// Write runs a sink's Write calls, up to the window at once.
func (s *Server) Write(stream pb.Plugin_WriteServer) error {
	defer s.running("Write")()
	in, st, err := s.start(stream)
	if err != nil {
		return err
	}
	if in.sink == nil {
		return fmt.Errorf("%w: instance %d is not a sink", errProtocol, in.id)
	}
	ctx := stream.Context()
	rcv := newBatchReceiver(stream, s.opts.Allocator)
	defer rcv.release()
	snd := newBatchSender(stream, splitLimit(s.opts.MaxMessageBytes), in.headed)
	slots := make(chan struct{}, max(int(st.Window), 1))
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		m, err := rcv.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		h := m.GetBatch()
		if h == nil {
			return fmt.Errorf("%w: expected a Batch", errProtocol)
		}
		rec, err := rcv.records(h)
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("%w: a Write call without a batch", errProtocol)
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			res, err := in.sink.Write(ctx, rec)
			rec.Release()
			out := writeResultToPB(res, err)
			out.Seq = h.Seq
			// A failed send means the engine is gone; its side reports it.
			_ = snd.send(out, nil)
		}()
	}
}

// checkpoint restores a checkpoint that was set: an empty one is not nil,
// which would mean "none", though protobuf decodes empty bytes as nil.
func checkpoint(b []byte) sdk.Checkpoint {
	if b == nil {
		return sdk.Checkpoint{}
	}
	return sdk.Checkpoint(b)
}
