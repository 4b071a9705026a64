package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/engine/registry/registrytest"
	"github.com/sluicedata/sluice/sdk/wire"
)

// A plugin process starts with go-plugin's handshake variables and
// nothing of the engine's environment: a secret in the engine's
// environment reaches a plugin only through its configuration.
func TestPluginProcessGetsAMinimalEnvironment(t *testing.T) {
	bin, sum := registrytest.Build(t, t.TempDir(), "github.com/sluicedata/sluice/plugins/examples/e2e/testdata/sluice-plugin-environ")
	t.Setenv("SLUICE_TEST_SECRET", "hunter2")
	r := runPipeline(t, pluginBlock("environ", bin, sum)+`
source "environ" "env" {}

sink "memory" "out" {
  input = source.env
  table = "out"
}
`, context.Background(), nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	_, recs, ok := r.store.Batches("out")
	if !ok {
		t.Fatal("no table out")
	}
	var vars []string
	for _, rec := range recs {
		col := rec.Column(0).(*array.String)
		for i := range col.Len() {
			vars = append(vars, col.Value(i))
		}
		rec.Release()
	}
	if len(vars) == 0 {
		t.Fatal("the plugin saw no variable at all, not even the handshake's: the test proves nothing")
	}
	for _, v := range vars {
		name, _, _ := strings.Cut(v, "=")
		if strings.Contains(v, "hunter2") || (name != wire.Handshake.MagicCookieKey && !strings.HasPrefix(name, "PLUGIN_")) {
			t.Errorf("the plugin process inherited %s", name)
		}
	}
}
