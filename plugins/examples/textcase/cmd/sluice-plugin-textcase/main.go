// Command sluice-plugin-textcase serves the textcase transform as an
// external Sluice plugin.
package main

import (
	"github.com/sluicedata/sluice/plugins/examples/textcase"
	"github.com/sluicedata/sluice/sdk/serve"
)

func main() { serve.Serve(textcase.Transform) }
