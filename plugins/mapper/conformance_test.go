package mapper_test

import (
	"testing"

	"github.com/sluicedata/sluice/plugins/mapper"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: mapper.Transform,
			// upper(name) fails on null names: those rows are rejected.
			Config: `columns = { shout = "upper(name)", double = "id * 2" }
drop   = ["active"]
rename = { score = "points" }`,
			BadConfigs: []plugintest.BadConfig{
				{HCL: `columns = 3`},
				{HCL: `nope = true`},
			},
		},
		Input: plugintest.SampleBatches,
	})
}
