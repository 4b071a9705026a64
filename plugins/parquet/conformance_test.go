package parquet_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/parquet"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestSinkAndSourceConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.parquet")
	reset := func(context.Context) error {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	plugintest.Sink(t, plugintest.SinkSuite{
		Common: plugintest.Common{
			Plugin: parquet.Sink,
			Config: fmt.Sprintf("path = %q\nrow_group_rows = 8", path),
			BadConfigs: []plugintest.BadConfig{
				{HCL: ``},
				{HCL: fmt.Sprintf("path = %q\ncompression = \"zip\"", path), Path: sdk.Path{"compression"}},
			},
		},
		Input: plugintest.SampleBatches,
		ReadBack: func(ctx context.Context) ([]arrow.RecordBatch, error) {
			return testhost.ReadAll(ctx, parquet.Source, fmt.Sprintf("path = %q", path))
		},
		Reset:   reset,
		Ordered: true,
	})

	// The source reads a file the sink wrote: several row groups, so that it
	// emits checkpoints to resume from.
	write := testhost.MustBuild[interface {
		Open(context.Context, sdk.Host, *arrow.Schema) error
		Write(context.Context, arrow.RecordBatch) (sdk.WriteResult, error)
		Close(context.Context) error
	}](t, parquet.Sink, fmt.Sprintf("path = %q\nrow_group_rows = 8", path))
	host := testhost.New(t)
	if err := write.Open(context.Background(), host, plugintest.SampleSchema); err != nil {
		t.Fatal(err)
	}
	for _, b := range plugintest.SampleBatches(host.Mem) {
		if _, err := write.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	if err := write.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin:     parquet.Source,
			Config:     fmt.Sprintf("path = %q\nbatch_rows = 4", path),
			BadConfigs: []plugintest.BadConfig{{HCL: ``}},
		},
		MinRows: 20,
	})
}
