package csv_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestSourceConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "people.csv")
	var data []byte
	data = append(data, "id,name,score,active\n"...)
	for i := range 50 {
		data = fmt.Appendf(data, "%d,name %d,%g,%t\n", i, i%6, float64(i)*1.5, i%3 != 0)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin: csv.Source,
			Config: fmt.Sprintf("path = %q\nbatch_rows = 8", path),
			BadConfigs: []plugintest.BadConfig{
				{HCL: ``},
				{HCL: fmt.Sprintf("path = %q\ndelimiter = \";;\"", path), Path: sdk.Path{"delimiter"}},
				{HCL: fmt.Sprintf("path = %q\nschema = { id = \"int128\" }", path), Path: sdk.Path{"schema", "id"}},
			},
		},
		MinRows: 50,
	})
}

func TestSinkConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	plugintest.Sink(t, plugintest.SinkSuite{
		Common: plugintest.Common{
			Plugin:     csv.Sink,
			Config:     fmt.Sprintf("path = %q\nnull = \"\\\\N\"", path),
			BadConfigs: []plugintest.BadConfig{{HCL: `path = ["a.csv"]`}, {HCL: ``}},
		},
		Input: plugintest.SampleBatches,
		ReadBack: func(ctx context.Context) ([]arrow.RecordBatch, error) {
			return testhost.ReadAll(ctx, csv.Source, fmt.Sprintf(`path = %q
null_values = ["\\N"]
schema = { id = "int64", name = "string", score = "float64", active = "bool" }`, path))
		},
		Reset: func(context.Context) error {
			err := os.Remove(path)
			if os.IsNotExist(err) {
				return nil
			}
			return err
		},
		Ordered: true,
	})
}
