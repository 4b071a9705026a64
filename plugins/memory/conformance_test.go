package memory_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	memplugin "github.com/sluicedata/sluice/plugins/memory"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestSourceConformance(t *testing.T) {
	store := memplugin.NewStore()
	batches := plugintest.SampleBatches(memory.NewGoAllocator())
	store.Put("people", plugintest.SampleSchema, batches...)
	for _, b := range batches {
		b.Release()
	}
	defer store.Clear()
	plugintest.Source(t, plugintest.SourceSuite{
		Common: plugintest.Common{
			Plugin: store.Source(),
			Config: `table = "people"`,
			BadConfigs: []plugintest.BadConfig{
				{HCL: ``},
				{HCL: `table = "people"
extra = 1`},
			},
		},
	})
}

func TestSinkConformance(t *testing.T) {
	store := memplugin.NewStore()
	defer store.Clear()
	plugintest.Sink(t, plugintest.SinkSuite{
		Common: plugintest.Common{
			Plugin:     store.Sink(),
			Config:     `table = "out"`,
			BadConfigs: []plugintest.BadConfig{{HCL: `table = ["out"]`}},
		},
		Input: plugintest.SampleBatches,
		ReadBack: func(context.Context) ([]arrow.RecordBatch, error) {
			_, batches, _ := store.Batches("out")
			return batches, nil
		},
		Reset: func(context.Context) error {
			store.Clear()
			return nil
		},
		Ordered: true,
	})
}
