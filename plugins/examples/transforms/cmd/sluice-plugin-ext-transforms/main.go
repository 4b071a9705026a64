// Command sluice-plugin-ext-transforms serves Sluice's builtin transforms
// from a separate process under the names ext_filter, ext_map, ext_select
// and ext_dedupe, so that a pipeline run by the sluice command, which has
// the builtins compiled in, can use them out of process:
// testdata/bench/w1-external.hcl measures W1 that way.
package main

import (
	"github.com/sluicedata/sluice/plugins/examples/transforms"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/serve"
)

func main() {
	var plugins []sdk.Plugin
	for _, p := range transforms.Builtins {
		plugins = append(plugins, transforms.Renamed(p, "ext_"+p.Info().Name))
	}
	serve.Serve(plugins...)
}
