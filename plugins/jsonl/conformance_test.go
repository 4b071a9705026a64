package jsonl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/plugins/jsonl"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestSourceConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "people.jsonl")
	var data []byte
	for i := range 50 {
		data = fmt.Appendf(data, `{"id":%d,"name":"name %d","score":%g,"active":%t}`+"\n", i, i%6, float64(i)*1.5, i%3 != 0)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin: jsonl.Source,
			Config: fmt.Sprintf("path = %q\nbatch_rows = 8", path),
			BadConfigs: []plugintest.BadConfig{
				{HCL: ``},
				{HCL: fmt.Sprintf("path = %q\nschema = { id = \"int128\" }", path), Path: sdk.Path{"schema", "id"}},
			},
		},
		MinRows: 50,
	})
}

func TestSinkConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	plugintest.Sink(t, plugintest.SinkSuite{
		Common: plugintest.Common{
			Plugin:     jsonl.Sink,
			Config:     fmt.Sprintf("path = %q", path),
			BadConfigs: []plugintest.BadConfig{{HCL: `path = ["a"]`}, {HCL: ``}},
		},
		Input: plugintest.SampleBatches,
		ReadBack: func(ctx context.Context) ([]arrow.RecordBatch, error) {
			return testhost.ReadAll(ctx, jsonl.Source, fmt.Sprintf(`path = %q
schema = { id = "int64", name = "string", score = "float64", active = "bool" }`, path))
		},
		Reset: func(context.Context) error {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return err
			}
			return nil
		},
		Ordered: true,
	})
}
