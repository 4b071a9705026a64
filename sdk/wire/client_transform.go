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

// remoteTransform is a transform in a plugin process. Its Process calls
// travel on one stream, opened at the first call, so that the output schema
// crosses once; calls are synchronous, as the engine makes them.
//
// When the transform is an sdk.Projector, Open learns its projection: calls
// then send only the columns it reads, and the output is rebuilt here from
// the input's own columns and the computed ones that come back. It is an
// sdk.Projector itself, saying what the plugin's said, as the engine
// cannot tell it from a builtin.
type remoteTransform struct {
	*remote
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

func (t *remoteTransform) Process(ctx context.Context, in arrow.RecordBatch) (sdk.Result, error) {
	return t.call(ctx, &pb.Batch{}, in)
}

func (t *remoteTransform) Close(ctx context.Context) error {
	t.mu.Lock()
	t.reset()
	t.mu.Unlock()
	return t.close(ctx)
}

// flusher forwards Flush to transforms that implement it.
type flusher struct{ t *remoteTransform }

func (f flusher) Flush(ctx context.Context) (sdk.Result, error) {
	return f.t.call(ctx, &pb.Batch{Flush: true}, nil)
}

// call sends one Process or Flush call and waits for its result.
func (t *remoteTransform) call(ctx context.Context, h *pb.Batch, in arrow.RecordBatch) (sdk.Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.host == nil {
		return sdk.Result{}, fmt.Errorf("Process called before Open")
	}
	cs, err := t.ensureStream(ctx)
	if err != nil {
		return sdk.Result{}, err
	}
	// Cancelling the call abandons the stream: the plugin sees its context
	// cancelled, and the next call opens a new stream.
	stop := context.AfterFunc(ctx, cs.cancel)
	defer stop()
	t.seq++
	h.Seq = t.seq
	send := in
	if t.proj != nil && in != nil {
		send = t.proj.narrow(in)
		defer send.Release()
	}
	res, err := t.exchange(cs, h, send, in)
	if err != nil {
		t.reset()
		return sdk.Result{}, t.c.broken(ctx, err)
	}
	if h.Error != nil {
		if res.Out != nil {
			res.Out.Release()
		}
		if res.Keep != nil {
			res.Keep.Release()
		}
		return sdk.Result{}, decodeError(h.Error)
	}
	return res, nil
}

// exchange sends a call, send (in itself, or its projection), and reads
// its result into h and the returned Result, rebuilding a projected
// output from in.
func (t *remoteTransform) exchange(cs *callStream, h *pb.Batch, send, in arrow.RecordBatch) (sdk.Result, error) {
	seq, flush := h.Seq, h.Flush
	if err := cs.snd.send(h, send); err != nil {
		return sdk.Result{}, err
	}
	m, err := cs.rcv.next()
	if err != nil {
		return sdk.Result{}, err
	}
	r := m.GetBatch()
	if r == nil || r.Seq != seq || r.Flush != flush {
		return sdk.Result{}, fmt.Errorf("%w: expected the result of call %d", errProtocol, seq)
	}
	out, err := cs.rcv.records(r)
	if err != nil {
		return sdk.Result{}, err
	}
	res := sdk.Result{Rejects: decodeRowErrors(r.Rejects), Filtered: int(r.Filtered), Deduplicated: int(r.Deduplicated)}
	switch {
	case r.HasKeep && (out != nil || in == nil):
		if out != nil {
			out.Release()
		}
		return sdk.Result{}, fmt.Errorf("%w: a result with keep and records, or keep from Flush", errProtocol)
	case r.HasKeep:
		if res.Keep, err = keepFromBitmap(r.Keep, in.NumRows()); err != nil {
			return sdk.Result{}, err
		}
	case out != nil && t.proj != nil:
		if in == nil {
			out.Release()
			return sdk.Result{}, fmt.Errorf("%w: a projected transform's Flush returned records", errProtocol)
		}
		res.Out, err = t.proj.rebuild(in, out)
		out.Release()
		if err != nil {
			return sdk.Result{}, err
		}
	default:
		res.Out = out
	}
	*h = pb.Batch{Error: r.Error}
	return res, nil
}

func (t *remoteTransform) ensureStream(ctx context.Context) (*callStream, error) {
	if t.stream != nil {
		return t.stream, nil
	}
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := t.c.rpc.Process(sctx)
	if err != nil {
		cancel()
		return nil, t.c.broken(ctx, err)
	}
	if err := stream.Send(&pb.Msg{Body: &pb.Msg_Start{Start: &pb.Start{Instance: t.id, Window: 1}}}); err != nil {
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

// reset ends the stream, if one is open.
func (t *remoteTransform) reset() {
	if t.stream == nil {
		return
	}
	_ = t.stream.stream.CloseSend()
	t.stream.cancel()
	t.stream.rcv.release()
	t.stream = nil
}
