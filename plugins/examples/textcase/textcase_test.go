package textcase_test

import (
	"testing"

	"github.com/sluicedata/sluice/plugins/examples/textcase"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

// The conformance suite is how a plugin author knows the plugin behaves the
// same compiled in and served from its binary.
func TestConformance(t *testing.T) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: textcase.Transform,
			Config: `columns = ["name"]
case    = "lower"`,
			BadConfigs: []plugintest.BadConfig{
				{HCL: `columns = ["name"]
case    = "title"`, Path: sdk.Path{"case"}},
				{HCL: `columns = []`, Path: sdk.Path{"columns"}},
				{HCL: `case = "upper"`},
			},
		},
		Input: plugintest.SampleBatches,
	})
}
