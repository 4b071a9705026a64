package dedupe_test

import (
	"testing"

	"github.com/sluicedata/sluice/plugins/dedupe"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

var badConfigs = []plugintest.BadConfig{
	{HCL: `key = "name"
keep = "middle"`, Path: sdk.Path{"keep"}},
	{HCL: `key = "name"
keep = "greatest"`, Path: sdk.Path{"keep"}},
	{HCL: `key = "name"
by = "id"`, Path: sdk.Path{"by"}},
}

// Keeping the first row streams.
func TestConformanceFirst(t *testing.T) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin:     dedupe.Transform,
			Config:     `key = "name"`,
			BadConfigs: badConfigs,
		},
		Input: plugintest.SampleBatches,
	})
}

// Keeping the greatest holds rows until Flush.
func TestConformanceGreatest(t *testing.T) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: dedupe.Transform,
			Config: `key  = "name"
keep = "greatest"
by   = "score"`,
			BadConfigs: badConfigs,
		},
		Input: plugintest.SampleBatches,
	})
}
