// Command sluice-plugin-transforms serves Sluice's builtin transforms
// (filter, map, select, dedupe) from a separate process. It exists to prove
// that a plugin behaves the same either way — the end-to-end tests compare
// a pipeline's output with its transforms in and out of process — and to
// measure what the process boundary costs (docs/benchmarks.md, "External plugins").
package main

import (
	"github.com/sluicedata/sluice/plugins/examples/transforms"
	"github.com/sluicedata/sluice/sdk/serve"
)

func main() {
	serve.Serve(transforms.Builtins...)
}
