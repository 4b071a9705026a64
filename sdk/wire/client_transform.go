package wire

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// remoteTransform is a transform in a plugin process. Its Process calls
// travel on one stream, opened at the first call, so that the output schema
// crosses once; calls are synchronous, as the engine makes them.
type remoteTransform struct {
	*remote
	mu     sync.Mutex
	stream *callStream
	seq    uint64
}

// callStream is an open Process stream.
type callStream struct {
	cancel context.CancelFunc
	stream pb.Plugin_ProcessClient
	snd    *batchSender
	rcv    *batchReceiver
}

func (t *remoteTransform) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	return t.open(ctx, host, in)
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
	res, err := t.exchange(cs, h, in)
	if err != nil {
		t.reset()
		return sdk.Result{}, t.c.broken(ctx, err)
	}
	if h.Error != nil {
		if res.Out != nil {
			res.Out.Release()
		}
		return sdk.Result{}, decodeError(h.Error)
	}
	return res, nil
}

// exchange sends a call and reads its result into h and the returned
// Result.
func (t *remoteTransform) exchange(cs *callStream, h *pb.Batch, in arrow.RecordBatch) (sdk.Result, error) {
	seq, flush := h.Seq, h.Flush
	if err := cs.snd.send(h, in); err != nil {
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
	*h = pb.Batch{Error: r.Error}
	return sdk.Result{Out: out, Rejects: decodeRowErrors(r.Rejects), Filtered: int(r.Filtered), Deduplicated: int(r.Deduplicated)}, nil
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
		snd: newBatchSender(stream, splitLimit(t.c.opts.MaxMessageBytes)),
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
