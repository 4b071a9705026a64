package wire

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// leaveActions are the actions a sync block's on_leave can ask for, which
// OpenResponse answers LeaveUnsupported for: the engine asks about one of
// them before the run, and the wire cannot ask later.
var leaveActions = []sdk.LeaveAction{sdk.LeaveClear, sdk.LeaveDeactivate, sdk.LeaveDelete}

// syncClaims are what a syncing sink says of its keys after Open, nil for
// any other instance.
func (in *instance) syncClaims() *pb.SyncClaims {
	s, ok := in.sink.(sdk.Syncer)
	if !ok {
		return nil
	}
	c := &pb.SyncClaims{KeyColumns: s.KeyColumns()}
	if k, ok := s.(sdk.KeylessSyncer); ok {
		c.KeylessReason = k.KeylessReason()
	}
	if l, ok := s.(sdk.LeaveLimiter); ok {
		for _, a := range leaveActions {
			if why := l.LeaveUnsupported(a); why != "" {
				if c.LeaveUnsupported == nil {
					c.LeaveUnsupported = map[string]string{}
				}
				c.LeaveUnsupported[string(a)] = why
			}
		}
	}
	return c
}

// Leave runs a syncing sink's Leave on a batch of keys.
func (s *Server) Leave(ctx context.Context, req *pb.LeaveRequest) (*pb.Batch, error) {
	defer s.running("Leave")()
	in, err := s.instance(req.Instance)
	if err != nil {
		return nil, err
	}
	syncer, ok := in.sink.(sdk.Syncer)
	if !ok {
		return nil, fmt.Errorf("%w: instance %d is no sink that syncs", errProtocol, req.Instance)
	}
	keys, err := decodeRecord(req.Keys, s.opts.Allocator)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errProtocol, err)
	}
	defer keys.Release()
	res, err := syncer.Leave(ctx, keys, sdk.LeaveAction(req.Action))
	return writeResultToPB(res, err), nil
}

// syncer is the engine's side of a plugin's sink that is an sdk.Syncer.
// It implements sdk.KeylessSyncer and sdk.LeaveLimiter too, answering ""
// for a sink that does not, which the engine takes as it takes a sink
// without them: no reason given, every action possible.
type syncer struct{ s *remoteSink }

func (y syncer) claims() *pb.SyncClaims {
	if c := y.s.sync.Load(); c != nil {
		return c
	}
	return &pb.SyncClaims{}
}

func (y syncer) KeyColumns() []string { return y.claims().KeyColumns }

func (y syncer) KeylessReason() string { return y.claims().KeylessReason }

func (y syncer) LeaveUnsupported(action sdk.LeaveAction) string {
	return y.claims().LeaveUnsupported[string(action)]
}

// Leave sends keys in one call, or, when they are larger than a batch may
// be, in several calls of consecutive rows, and joins their results with
// each reject's row counted from the start of keys.
func (y syncer) Leave(ctx context.Context, keys arrow.RecordBatch, action sdk.LeaveAction) (sdk.WriteResult, error) {
	parts := split(keys, splitLimit(y.s.c.opts.MaxMessageBytes))
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	var res sdk.WriteResult
	offset := 0
	for _, p := range parts {
		b, err := encodeRecord(p)
		if err != nil {
			return sdk.WriteResult{}, err
		}
		h, err := y.s.c.rpc.Leave(ctx, &pb.LeaveRequest{Instance: y.s.id, Action: string(action), Keys: b})
		if err != nil {
			return sdk.WriteResult{}, y.s.c.broken(ctx, err)
		}
		r, err := writeResultFromPB(h)
		if err != nil {
			return sdk.WriteResult{}, err
		}
		for _, e := range r.Rejects {
			e.Row += offset
			res.Rejects = append(res.Rejects, e)
		}
		res.Skipped += r.Skipped
		res.Deduplicated += r.Deduplicated
		res.Created += r.Created
		res.Updated += r.Updated
		res.Unchanged += r.Unchanged
		res.Deleted += r.Deleted
		offset += int(p.NumRows())
	}
	return res, nil
}

// writeResultToPB is a Write's or a Leave's result as a Batch header.
func writeResultToPB(res sdk.WriteResult, err error) *pb.Batch {
	return &pb.Batch{
		Rejects: encodeRowErrors(res.Rejects), Skipped: int64(res.Skipped), Deduplicated: int64(res.Deduplicated),
		Created: int64(res.Created), Updated: int64(res.Updated), Unchanged: int64(res.Unchanged), Deleted: int64(res.Deleted),
		Error: encodeError(err),
	}
}

// writeResultFromPB is the result a Batch header carries back.
func writeResultFromPB(h *pb.Batch) (sdk.WriteResult, error) {
	if h.Error != nil {
		return sdk.WriteResult{}, decodeError(h.Error)
	}
	return sdk.WriteResult{
		Rejects: decodeRowErrors(h.Rejects), Skipped: int(h.Skipped), Deduplicated: int(h.Deduplicated),
		Created: int(h.Created), Updated: int(h.Updated), Unchanged: int(h.Unchanged), Deleted: int(h.Deleted),
	}, nil
}

// encodeRecord writes rec as an Arrow IPC stream: its schema, then it.
func encodeRecord(rec arrow.RecordBatch) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("encoding a batch of %d rows: %w", rec.NumRows(), err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encoding a batch of %d rows: %w", rec.NumRows(), err)
	}
	return buf.Bytes(), nil
}

// decodeRecord reads the one record of an IPC stream encodeRecord wrote,
// for the caller to release.
func decodeRecord(b []byte, mem memory.Allocator) (arrow.RecordBatch, error) {
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("decoding a batch: %w", err)
	}
	defer r.Release()
	if !r.Next() {
		err := r.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("decoding a batch: %w", err)
	}
	rec := r.RecordBatch()
	rec.Retain()
	return rec, nil
}
