package wire

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// remoteTransform is a transform in a plugin process. Its calls travel on
// one stream, opened at the first call, so that the output schema crosses
// once.
//
// It is an sdk.Pipeliner: the engine submits up to Window calls before it
// takes the first result, so that while the plugin works on one batch the
// next is already on its way, and the engine handles the last result
// meanwhile. The plugin answers the calls one at a time, in order; each
// result is matched to the oldest call still waiting (by its sequence
// number) and rebuilt from that call's input. Process and Flush are a
// call submitted and its result taken at once.
//
// When the transform is an sdk.Projector, Open learns its projection: calls
// then send only the columns it reads, and the output is rebuilt here from
// the input's own columns and the computed ones that come back. It is an
// sdk.Projector itself, saying what the plugin's said, as the engine
// cannot tell it from a builtin.
type remoteTransform struct {
	*remote
	// sendMu is held while a call is sent, so that calls go in the order
	// of their sequence numbers; recvMu while a result is read.
	sendMu, recvMu sync.Mutex
	// mu guards the fields below; it is never held while sending or
	// receiving, so a Submit waiting for the plugin to read never keeps
	// Next from reading the results that would let it.
	mu     sync.Mutex
	stream *callStream
	seq    uint64
	proj   *projection
}

// callStream is an open Process stream.
type callStream struct {
	cancel context.CancelFunc
	stream pb.Plugin_ProcessClient
	snd    *batchSender
	rcv    *batchReceiver

	mu sync.Mutex
	// calls are the calls sent whose results have not been taken, oldest
	// first.
	calls []pendingCall
	// err is why the stream broke, when it did: every call still in calls
	// fails with it, and the next call after them opens a new stream.
	err error
}

// pendingCall is what a result needs to be matched and rebuilt.
type pendingCall struct {
	seq   uint64
	flush bool
	// in is the caller's input, which stays valid until the result is
	// taken (sdk.Pipeliner); nil for Flush.
	in   arrow.RecordBatch
	proj *projection
}

func (t *remoteTransform) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	resp, out, err := t.openTransform(ctx, host, in, t.c.columnar)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.proj = nil
	if resp.Projection != nil {
		if t.proj, err = projectionFromPB(in, out, resp.Projection); err != nil {
			return nil, t.c.broken(ctx, fmt.Errorf("%w: the projection Open returned: %w", errProtocol, err))
		}
	}
	return out, nil
}

// Columns says what the plugin's Columns said, or nil when it is no
// projection.
func (t *remoteTransform) Columns() ([]string, []int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.proj == nil {
		return nil, nil
	}
	reads := make([]string, len(t.proj.reads))
	for k, j := range t.proj.reads {
		reads[k] = t.proj.in.Field(j).Name
	}
	return reads, slices.Clone(t.proj.passes)
}

// Window is how many calls the engine may have in flight: the client's
// TransformWindow.
func (t *remoteTransform) Window() int { return t.c.opts.TransformWindow }

func (t *remoteTransform) Process(ctx context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	if err := t.Submit(ctx, in); err != nil {
		return sdk.Result{}, err
	}
	return t.Next(ctx)
}

// Submit sends a Process call; its result is for Next.
func (t *remoteTransform) Submit(ctx context.Context, in arrow.RecordBatch) error {
	if in == nil {
		return fmt.Errorf("Process called without a batch")
	}
	return t.submit(ctx, &pb.Batch{}, in)
}

func (t *remoteTransform) Close(ctx context.Context) error {
	t.mu.Lock()
	cs := t.stream
	t.stream = nil
	t.mu.Unlock()
	if cs != nil {
		cs.fail(fmt.Errorf("closed"))
		// A Next still reading (which the engine never leaves behind)
		// returns once the stream is cancelled; then the reader is ours.
		t.recvMu.Lock()
		cs.end()
		t.recvMu.Unlock()
	}
	return t.close(ctx)
}

// flusher forwards Flush to transforms that implement it.
type flusher struct{ t *remoteTransform }

func (f flusher) Flush(ctx context.Context) (sdk.Result, error) {
	if err := f.t.submit(ctx, &pb.Batch{Flush: true}, nil); err != nil {
		return sdk.Result{}, err
	}
	return f.t.Next(ctx)
}

// submit sends one call: h, and in (or its projection) for Process.
func (t *remoteTransform) submit(ctx context.Context, h *pb.Batch, in arrow.RecordBatch) error {
	t.sendMu.Lock()
	defer t.sendMu.Unlock()
	t.mu.Lock()
	if t.host == nil {
		t.mu.Unlock()
		return fmt.Errorf("Process called before Open")
	}
	cs, err := t.ensureStream(ctx)
	if err != nil {
		t.mu.Unlock()
		return err
	}
	t.seq++
	h.Seq = t.seq
	call := pendingCall{seq: h.Seq, flush: h.Flush, in: in, proj: t.proj}
	t.mu.Unlock()

	// The call is waiting before it is sent, so that its result, however
	// soon it comes, finds it.
	cs.mu.Lock()
	if cs.err != nil {
		err := cs.err
		cs.mu.Unlock()
		return t.c.broken(ctx, err)
	}
	cs.calls = append(cs.calls, call)
	cs.mu.Unlock()

	send := in
	if call.proj != nil && in != nil {
		send = call.proj.narrow(in)
		defer send.Release()
	}
	// Cancelling a call abandons the stream: the plugin sees its context
	// cancelled, every call in flight fails, and the next call opens a new
	// stream.
	stop := context.AfterFunc(ctx, cs.cancel)
	defer stop()
	if err := cs.snd.send(h, send); err != nil {
		cs.mu.Lock()
		// Not sent: no result is owed for it. Calls go out one at a time,
		// so it is the newest.
		if n := len(cs.calls); n > 0 && cs.calls[n-1].seq == call.seq {
			cs.calls = cs.calls[:n-1]
		}
		if cs.err == nil {
			cs.err = err
		}
		err = cs.err
		cs.mu.Unlock()
		cs.cancel()
		return t.c.broken(ctx, err)
	}
	return nil
}

// Next waits for the result of the oldest call in flight.
func (t *remoteTransform) Next(ctx context.Context) (sdk.Result, error) {
	t.recvMu.Lock()
	defer t.recvMu.Unlock()
	t.mu.Lock()
	cs := t.stream
	t.mu.Unlock()
	if cs == nil {
		return sdk.Result{}, fmt.Errorf("Next called with no call in flight")
	}
	cs.mu.Lock()
	if len(cs.calls) == 0 {
		cs.mu.Unlock()
		return sdk.Result{}, fmt.Errorf("Next called with no call in flight")
	}
	call, broke := cs.calls[0], cs.err
	cs.mu.Unlock()
	var res sdk.Result
	var r *pb.Batch
	err := broke
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		stop := context.AfterFunc(ctx, cs.cancel)
		res, r, err = t.receive(cs, call)
		stop()
	}
	if err != nil {
		cs.fail(err)
	}
	cs.mu.Lock()
	cs.calls = cs.calls[1:]
	cs.mu.Unlock()
	if err != nil {
		return sdk.Result{}, t.c.broken(ctx, err)
	}
	if r.Error != nil {
		releaseResult(res)
		return sdk.Result{}, decodeError(r.Error)
	}
	return res, nil
}

// receive reads the result of call, the next on the stream, and builds
// it, rebuilding a projected output from the call's input.
func (t *remoteTransform) receive(cs *callStream, call pendingCall) (sdk.Result, *pb.Batch, error) {
	m, err := cs.rcv.next()
	if err != nil {
		return sdk.Result{}, nil, err
	}
	r := m.GetBatch()
	if r == nil || r.Seq != call.seq || r.Flush != call.flush {
		return sdk.Result{}, nil, fmt.Errorf("%w: expected the result of call %d", errProtocol, call.seq)
	}
	out, err := cs.rcv.records(r)
	if err != nil {
		return sdk.Result{}, nil, err
	}
	in := call.in
	res := sdk.Result{Rejects: decodeRowErrors(r.Rejects), Filtered: int(r.Filtered), Deduplicated: int(r.Deduplicated)}
	switch {
	case r.HasKeep && (out != nil || in == nil):
		if out != nil {
			out.Release()
		}
		return sdk.Result{}, nil, fmt.Errorf("%w: a result with keep and records, or keep from Flush", errProtocol)
	case r.HasKeep:
		if res.Keep, err = keepFromBitmap(r.Keep, in.NumRows()); err != nil {
			return sdk.Result{}, nil, err
		}
	case out != nil && call.proj != nil:
		if in == nil {
			out.Release()
			return sdk.Result{}, nil, fmt.Errorf("%w: a projected transform's Flush returned records", errProtocol)
		}
		res.Out, err = call.proj.rebuild(in, out)
		out.Release()
		if err != nil {
			return sdk.Result{}, nil, err
		}
	default:
		res.Out = out
	}
	return res, r, nil
}

// ensureStream returns the open stream, opening one if there is none or
// the last broke and its calls have all been answered. t.mu is held.
func (t *remoteTransform) ensureStream(ctx context.Context) (*callStream, error) {
	if cs := t.stream; cs != nil {
		cs.mu.Lock()
		broke, waiting := cs.err, len(cs.calls)
		cs.mu.Unlock()
		switch {
		case broke == nil:
			return cs, nil
		case waiting > 0:
			// Their Next calls fail first, in order.
			return nil, t.c.broken(ctx, broke)
		}
		// Nothing reads a broken stream whose calls are all answered.
		cs.end()
		t.stream = nil
	}
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := t.c.rpc.Process(sctx)
	if err != nil {
		cancel()
		return nil, t.c.broken(ctx, err)
	}
	window := uint32(max(t.c.opts.TransformWindow, 1))
	if err := stream.Send(&pb.Msg{Body: &pb.Msg_Start{Start: &pb.Start{Instance: t.id, Window: window}}}); err != nil {
		cancel()
		return nil, t.c.broken(ctx, err)
	}
	t.stream = &callStream{
		cancel: cancel, stream: stream,
		snd: newBatchSender(stream, splitLimit(t.c.opts.MaxMessageBytes), t.headed),
		rcv: newBatchReceiver(stream, t.host.Allocator()),
	}
	return t.stream, nil
}

// fail marks the stream broken, if it is not already, and abandons it:
// the plugin sees its context cancelled.
func (cs *callStream) fail(err error) {
	cs.mu.Lock()
	if cs.err == nil {
		cs.err = err
	}
	cs.mu.Unlock()
	cs.cancel()
}

// end closes the stream and releases its reader, once nothing reads it.
func (cs *callStream) end() {
	_ = cs.stream.CloseSend()
	cs.cancel()
	cs.rcv.release()
}

// releaseResult drops a result that goes no further.
func releaseResult(res sdk.Result) {
	if res.Out != nil {
		res.Out.Release()
	}
	if res.Keep != nil {
		res.Keep.Release()
	}
}
