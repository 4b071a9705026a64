package stdout_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/jsonl"
	"github.com/sluicedata/sluice/plugins/stdout"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

// lockedBuffer is the sink's standard output; the gRPC mode writes to it
// from the plugin side's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestSinkConformance(t *testing.T) {
	var out lockedBuffer
	plugintest.Sink(t, plugintest.SinkSuite{
		Common: plugintest.Common{
			Plugin: stdout.SinkTo(&out),
			Config: `format = "jsonl"`,
			BadConfigs: []plugintest.BadConfig{
				{HCL: `format = "xml"`, Path: sdk.Path{"format"}},
				{HCL: `max_width = 2`, Path: sdk.Path{"max_width"}},
			},
		},
		Input: plugintest.SampleBatches,
		// What the sink printed reads back as JSON lines.
		ReadBack: func(ctx context.Context) ([]arrow.RecordBatch, error) {
			path := filepath.Join(t.TempDir(), "stdout.jsonl")
			out.mu.Lock()
			err := os.WriteFile(path, out.buf.Bytes(), 0o644)
			out.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return testhost.ReadAll(ctx, jsonl.Source, `path = "`+filepath.ToSlash(path)+`"
schema = { id = "int64", name = "string", score = "float64", active = "bool" }`)
		},
		Reset: func(context.Context) error {
			out.mu.Lock()
			out.buf.Reset()
			out.mu.Unlock()
			return nil
		},
		Ordered: true,
	})
}
