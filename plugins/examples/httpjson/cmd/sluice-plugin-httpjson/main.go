// Command sluice-plugin-httpjson serves the httpjson source as an external
// Sluice plugin. Build it, pin its checksum in a pipeline file, and use it:
//
//	go build -o bin/sluice-plugin-httpjson ./plugins/examples/httpjson/cmd/sluice-plugin-httpjson
//	sha256sum bin/sluice-plugin-httpjson
//
//	plugin "httpjson" {
//	  path   = "./bin/sluice-plugin-httpjson"
//	  sha256 = "…"
//	}
package main

import (
	"github.com/sluicedata/sluice/plugins/examples/httpjson"
	"github.com/sluicedata/sluice/sdk/serve"
)

func main() { serve.Serve(httpjson.Source) }
