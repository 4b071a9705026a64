package csv

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sluicedata/sluice/plugins/internal/fileset"
	"github.com/sluicedata/sluice/sdk"
)

// decodedChunk is a chunk's batch, on its way to be emitted in order.
type decodedChunk struct {
	seq   int
	batch sdk.Batch
}

// Read runs the splitter, one decoder per core and the emitter, which emits
// batches in file order. At most two chunks per decoder are in flight, read
// or decoded, so memory does not grow with the input.
func (s *source) Read(ctx context.Context, from sdk.Checkpoint, emit sdk.Emitter) error {
	fileIndex := 0
	var resume *fileset.Position
	if from != nil {
		pos, err := fileset.DecodePosition(from)
		if err != nil {
			return err
		}
		i, inside := fileset.Resume(s.files, pos)
		fileIndex = i
		if inside {
			resume = &pos
		}
		s.host.Logger().Info("resuming", "file", pos.File, "line", pos.Line)
	}

	s.bufs = &bufPool{}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inFlight := 2 * s.workers
	slots := make(chan struct{}, inFlight)
	chunks := make(chan *chunk)
	results := make(chan decodedChunk, inFlight)

	var wg sync.WaitGroup
	var splitErr error
	wg.Go(func() {
		defer close(chunks)
		splitErr = s.split(ctx, fileIndex, resume, slots, chunks)
	})
	var decoders sync.WaitGroup
	for range s.workers {
		decoders.Go(func() {
			d := s.newDecoder()
			for c := range chunks {
				batch := d.decode(c)
				s.bufs.put(c.buf)
				results <- decodedChunk{seq: c.seq, batch: batch} // never blocks: a slot is held
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
	pending := map[int]sdk.Batch{}
	next := 0
	for r := range results {
		pending[r.seq] = r.batch
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
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
	for _, b := range pending {
		b.Record.Release()
	}
	wg.Wait()
	switch {
	case emitErr != nil:
		return emitErr
	case splitErr != nil && errors.Is(splitErr, context.Canceled) && ctx.Err() != nil:
		return ctx.Err()
	case splitErr != nil:
		return fmt.Errorf("csv: %w", splitErr)
	}
	return nil
}
