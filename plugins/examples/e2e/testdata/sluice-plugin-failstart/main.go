// Command sluice-plugin-failstart is a plugin binary that fails before
// the handshake, saying why on stderr, as a plugin whose setup fails does.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, `{"@level":"debug","@message":"a JSON log line, not part of the error"}`)
	fmt.Fprintln(os.Stderr, "sluice-plugin-failstart: cannot start: the license file is missing")
	os.Exit(3)
}
