package wire

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// remoteSource is a source in a plugin process.
type remoteSource struct {
	*remote
	schema *arrow.Schema
}

func (s *remoteSource) Open(ctx context.Context, host sdk.Host) (*arrow.Schema, error) {
	out, err := s.open(ctx, host, nil)
	s.schema = out
	return out, err
}

func (s *remoteSource) Close(ctx context.Context) error { return s.close(ctx) }

// Incremental is the plugin's source's claim (sdk.Incremental): false when
// it does not implement the interface, which the engine takes as it takes
// an instance that does not.
func (s *remoteSource) Incremental() bool { return s.incremental.Load() }

// Read streams the source's batches. The plugin sends up to the read window
// of batches ahead; each Emit that returns grants it one more. A batch the
// engine has not taken is never acknowledged, so a plugin that dies loses
// nothing the engine checkpoints.
func (s *remoteSource) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	if s.host == nil {
		return fmt.Errorf("Read called before Open")
	}
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := s.c.rpc.Read(streamCtx)
	if err != nil {
		return s.c.broken(ctx, err)
	}
	start := &pb.Start{Instance: s.id, Checkpoint: from, HasCheckpoint: from != nil, Window: uint32(s.c.opts.ReadWindow)}
	if err := stream.Send(&pb.Msg{Body: &pb.Msg_Start{Start: start}}); err != nil {
		return s.c.broken(ctx, err)
	}
	rcv := newBatchReceiver(stream, s.host.Allocator())
	defer rcv.release()
	credit := &pb.Msg{Body: &pb.Msg_Credit{Credit: &pb.Credit{N: 1}}}
	for {
		m, err := rcv.next()
		if err != nil {
			return s.c.broken(ctx, err)
		}
		if end := m.GetEnd(); end != nil {
			err := decodeError(end.Error)
			if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return err
		}
		h := m.GetBatch()
		if h == nil {
			return s.c.broken(ctx, fmt.Errorf("%w: expected a Batch or End during Read", errProtocol))
		}
		rec, err := rcv.records(h)
		if err != nil {
			return s.c.broken(ctx, err)
		}
		if rec == nil {
			return s.c.broken(ctx, fmt.Errorf("%w: a source batch without rows", errProtocol))
		}
		b := sdk.Batch{Record: rec, Rejects: decodeRowErrors(h.Rejects)}
		if h.HasCheckpoint {
			b.Checkpoint = checkpoint(h.Checkpoint)
		}
		err = emit.Emit(ctx, b)
		rec.Release()
		if err != nil {
			return err
		}
		if err := stream.Send(credit); err != nil {
			return s.c.broken(ctx, err)
		}
	}
}
