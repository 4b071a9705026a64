package wire

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// remoteSink is a sink in a plugin process. Its writes share one stream;
// up to the window (the sink's maximum writes in flight) are outstanding at
// once, each answered with its per-row results.
type remoteSink struct {
	*remote
	mu     sync.Mutex
	stream *writeStream
	seq    uint64
	window chan struct{}
	// maxInFlight is the most writes the sink allows at once: the engine
	// never runs more.
	maxInFlight int
}

type writeStream struct {
	cancel  context.CancelFunc
	stream  pb.Plugin_WriteClient
	snd     *batchSender
	mu      sync.Mutex
	waiting map[uint64]chan writeReply
	err     error // set when the stream broke
	done    chan struct{}
}

type writeReply struct {
	h   *pb.Batch
	err error
}

func (s *remoteSink) Open(ctx context.Context, host sdk.Host, in *arrow.Schema) error {
	_, err := s.open(ctx, host, in)
	return err
}

func (s *remoteSink) Close(ctx context.Context) error {
	s.endStream(ctx)
	return s.close(ctx)
}

// Idempotent is the plugin's sink's claim (sdk.Idempotent): false when it
// does not implement the interface, which the engine takes as it takes an
// instance that does not.
func (s *remoteSink) Idempotent() bool { return s.idempotent.Load() }

// endStream ends the write stream, if any, once the writes in flight are
// answered or ctx ends.
func (s *remoteSink) endStream(ctx context.Context) {
	s.mu.Lock()
	ws := s.stream
	s.stream = nil
	s.mu.Unlock()
	if ws != nil {
		_ = ws.stream.CloseSend()
		select {
		case <-ws.done:
		case <-ctx.Done():
		}
		ws.cancel()
		<-ws.done
	}
}

// aborter forwards Abort, for a plugin's sink that is an sdk.Aborter.
type aborter struct{ s *remoteSink }

func (a aborter) Abort(ctx context.Context) error {
	a.s.endStream(ctx)
	resp, err := a.s.c.rpc.Abort(ctx, &pb.InstanceRef{Instance: a.s.id})
	if err != nil {
		return a.s.c.broken(ctx, err)
	}
	return decodeError(resp.Error)
}

func (s *remoteSink) Write(ctx context.Context, rec arrow.RecordBatch) (sdk.WriteResult, error) {
	ws, err := s.ensureStream(ctx)
	if err != nil {
		return sdk.WriteResult{}, err
	}
	select {
	case s.window <- struct{}{}:
		defer func() { <-s.window }()
	case <-ctx.Done():
		return sdk.WriteResult{}, context.Cause(ctx)
	}
	reply := make(chan writeReply, 1)
	ws.mu.Lock()
	if ws.err != nil {
		ws.mu.Unlock()
		return sdk.WriteResult{}, s.c.broken(ctx, ws.err)
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	ws.waiting[seq] = reply
	ws.mu.Unlock()
	if err := ws.snd.send(&pb.Batch{Seq: seq}, rec); err != nil {
		ws.fail(err)
		return sdk.WriteResult{}, s.c.broken(ctx, err)
	}
	var r writeReply
	select {
	case r = <-reply:
	case <-ctx.Done():
		return sdk.WriteResult{}, context.Cause(ctx)
	}
	if r.err != nil {
		return sdk.WriteResult{}, s.c.broken(ctx, r.err)
	}
	return writeResultFromPB(r.h)
}

// ensureStream opens the write stream at the first Write, with a window
// that the engine's concurrency never exceeds.
func (s *remoteSink) ensureStream(ctx context.Context) (*writeStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.host == nil {
		return nil, fmt.Errorf("Write called before Open")
	}
	if s.stream != nil {
		return s.stream, nil
	}
	window := max(1, s.maxInFlight)
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := s.c.rpc.Write(sctx)
	if err != nil {
		cancel()
		return nil, s.c.broken(ctx, err)
	}
	if err := stream.Send(&pb.Msg{Body: &pb.Msg_Start{Start: &pb.Start{Instance: s.id, Window: uint32(window)}}}); err != nil {
		cancel()
		return nil, s.c.broken(ctx, err)
	}
	ws := &writeStream{
		cancel: cancel, stream: stream, snd: newBatchSender(stream, splitLimit(s.c.opts.MaxMessageBytes), s.headed),
		waiting: map[uint64]chan writeReply{}, done: make(chan struct{}),
	}
	if s.window == nil {
		s.window = make(chan struct{}, window)
	}
	go ws.receive()
	s.stream = ws
	return ws, nil
}

// receive hands each result to the Write waiting for it.
func (ws *writeStream) receive() {
	defer close(ws.done)
	for {
		m, err := ws.stream.Recv()
		if err != nil {
			ws.fail(err)
			return
		}
		h := m.GetBatch()
		if h == nil {
			ws.fail(fmt.Errorf("%w: expected a write result", errProtocol))
			return
		}
		ws.mu.Lock()
		reply, ok := ws.waiting[h.Seq]
		delete(ws.waiting, h.Seq)
		ws.mu.Unlock()
		if !ok {
			ws.fail(fmt.Errorf("%w: a result for write %d, which is not in flight", errProtocol, h.Seq))
			return
		}
		reply <- writeReply{h: h}
	}
}

// fail ends every write in flight with err.
func (ws *writeStream) fail(err error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.err == nil {
		ws.err = err
	}
	for seq, reply := range ws.waiting {
		reply <- writeReply{err: ws.err}
		delete(ws.waiting, seq)
	}
}

// sinkWith returns s as a type that implements the optional interfaces
// whose presence matters that resp says the plugin's sink implements, and
// only those: an Aborter's Abort replaces Close, and a Syncer is what lets
// a sink have a sync block.
func sinkWith(s *remoteSink, resp *pb.NewResponse) sdk.Sink {
	a, r, y := aborter{s}, reporter{s.remote}, syncer{s}
	switch {
	case resp.Aborter && resp.MemoryReporter && resp.Syncer:
		return &struct {
			*remoteSink
			aborter
			reporter
			syncer
		}{s, a, r, y}
	case resp.Aborter && resp.MemoryReporter:
		return &struct {
			*remoteSink
			aborter
			reporter
		}{s, a, r}
	case resp.Aborter && resp.Syncer:
		return &struct {
			*remoteSink
			aborter
			syncer
		}{s, a, y}
	case resp.MemoryReporter && resp.Syncer:
		return &struct {
			*remoteSink
			reporter
			syncer
		}{s, r, y}
	case resp.Aborter:
		return &struct {
			*remoteSink
			aborter
		}{s, a}
	case resp.MemoryReporter:
		return &struct {
			*remoteSink
			reporter
		}{s, r}
	case resp.Syncer:
		return &struct {
			*remoteSink
			syncer
		}{s, y}
	}
	return s
}
