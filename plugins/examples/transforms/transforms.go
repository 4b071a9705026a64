// Package transforms serves Sluice's builtin transforms from a plugin
// process, to prove that a plugin behaves the same in and out of process and
// to measure what the boundary costs (docs/benchmarks.md, "External plugins").
//
// cmd/sluice-plugin-transforms serves them under their own names, for
// engines built without them (the end-to-end tests). The sluice command has
// them built in, and a pipeline may not use two plugins of one name, so
// cmd/sluice-plugin-ext-transforms serves them renamed with the prefix
// "ext_" ([Renamed]): `transform "ext_filter" "active" { … }` runs the
// builtin filter in the plugin process.
package transforms

import (
	"github.com/sluicedata/sluice/plugins/dedupe"
	"github.com/sluicedata/sluice/plugins/filter"
	"github.com/sluicedata/sluice/plugins/mapper"
	"github.com/sluicedata/sluice/plugins/selectcols"
	"github.com/sluicedata/sluice/sdk"
)

// Builtins are the transforms the binaries serve.
var Builtins = []sdk.Plugin{filter.Transform, mapper.Transform, selectcols.Transform, dedupe.Transform}

// Renamed returns p under another name: the same configuration, instances
// and behaviour.
func Renamed(p sdk.Plugin, name string) sdk.Plugin { return renamed{p, name} }

type renamed struct {
	sdk.Plugin
	name string
}

func (r renamed) Info() sdk.Info {
	info := r.Plugin.Info()
	info.Name = r.name
	return info
}
