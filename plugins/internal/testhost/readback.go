package testhost

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sluicedata/sluice/sdk"
)

// ReadAll reads everything a source configured by body emits, with a plain
// Go allocator, and returns the records retained for the caller. File sink
// conformance tests read their output back with it, through the matching
// source, as a user's next pipeline would.
func ReadAll(ctx context.Context, p sdk.Plugin, body string) ([]arrow.RecordBatch, error) {
	f, diags := hclsyntax.ParseConfig([]byte(body), "readback.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	v, diags := p.Schema().DecodeBody(f.Body, &hcl.EvalContext{})
	if diags.HasErrors() {
		return nil, diags
	}
	inst, err := p.New(ctx, v)
	if err != nil {
		return nil, err
	}
	src, ok := inst.(sdk.Source)
	if !ok {
		return nil, fmt.Errorf("%s is not a source", p.Info().Name)
	}
	defer src.Close(ctx)
	host := &Host{Mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), Log: slog.New(slog.DiscardHandler)}
	if _, err := src.Open(ctx, host); err != nil {
		return nil, err
	}
	var em Emitter
	if err := src.Read(ctx, nil, &em); err != nil {
		em.Release()
		return nil, err
	}
	for _, b := range em.Batches {
		if len(b.Rejects) > 0 {
			em.Release()
			return nil, fmt.Errorf("reading back: row %d rejected: %s", b.Rejects[0].Row, b.Rejects[0].Message)
		}
	}
	return em.Records(), nil
}
