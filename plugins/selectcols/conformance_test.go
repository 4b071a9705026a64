package selectcols_test

import (
	"testing"

	"github.com/sluicedata/sluice/plugins/selectcols"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: selectcols.Transform,
			Config: `columns = ["score", "id"]`,
			BadConfigs: []plugintest.BadConfig{
				{HCL: `columns = []`, Path: sdk.Path{"columns"}},
				{HCL: ``},
			},
		},
		Input: plugintest.SampleBatches,
	})
}
