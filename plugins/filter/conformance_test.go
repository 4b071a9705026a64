package filter_test

import (
	"testing"

	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: filter.Transform,
			// score is null on some rows: comparing it rejects them.
			Config: `where = "active && upper(name) != 'NAME 2'"`,
			BadConfigs: []plugintest.BadConfig{
				{HCL: ``},
				{HCL: `where = "true"
unknown = 1`},
				{HCL: `where = ["a"]`},
			},
		},
		Input: plugintest.SampleBatches,
	})
}
