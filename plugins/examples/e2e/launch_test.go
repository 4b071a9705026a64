package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedata/sluice/engine"
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

// A binary that speaks another version of the plugin protocol is refused
// before any data moves, with an error that says so and what to do.
func TestOtherProtocolVersionIsRefused(t *testing.T) {
	bin, sum := registrytest.Build(t, t.TempDir(), "github.com/sluicedata/sluice/plugins/examples/e2e/testdata/sluice-plugin-otherprotocol")
	r := runPipeline(t, pluginBlock("other", bin, sum)+`
source "memory" "in" {
  table = "in"
}
`, context.Background(), nil)
	var diags *engine.Diagnostics
	if !errors.As(r.err, &diags) {
		t.Fatalf("got %v", r.err)
	}
	msg := diags.Error()
	for _, want := range []string{
		"pipeline.hcl:1:",
		`plugin "other"`,
		fmt.Sprintf("Plugin version: %d", wire.ProtocolVersion+98),
		fmt.Sprintf("this sluice, which speaks %d", wire.ProtocolVersion),
		"rebuild the plugin",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if pids := registrytest.Children(t, bin); len(pids) != 0 {
		t.Errorf("the refused plugin is still running: %v", pids)
	}
}

// A path to no file is reported at the path attribute, saying how a
// relative path is resolved.
func TestMissingBinaryPointsAtThePath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "sluice-plugin-missing")
	r := runPipeline(t, pluginBlock("missing", missing, strings.Repeat("0", 64))+`
source "memory" "in" {
  table = "in"
}
`, context.Background(), nil)
	var diags *engine.Diagnostics
	if !errors.As(r.err, &diags) {
		t.Fatalf("got %v", r.err)
	}
	msg := diags.Error()
	for _, want := range []string{"pipeline.hcl:2:", "There is no file " + missing, "resolved against the directory"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}

	// A relative path is named as resolved, from the pipeline file's
	// directory, not as written, even when the pipeline file's path is
	// relative too.
	t.Chdir(t.TempDir())
	if err := os.WriteFile("pipeline.hcl", []byte(pluginBlock("missing", "./bin/sluice-plugin-missing", strings.Repeat("0", 64))), 0o600); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New()
	if err != nil {
		t.Fatal(err)
	}
	var named string
	p, err := eng.Load("pipeline.hcl", engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err == nil {
		_, err = p.Run(context.Background(), engine.RunOptions{})
	}
	if !errors.As(err, &diags) {
		t.Fatalf("got %v", err)
	}
	_, named, _ = strings.Cut(diags.Error(), "There is no file ")
	if named, _, _ = strings.Cut(named, " "); !filepath.IsAbs(named) || !strings.HasSuffix(named, "/bin/sluice-plugin-missing.") {
		t.Errorf("the error names %q, want the absolute path:\n%s", named, diags.Error())
	}
}

// A plugin that exits before the handshake has its own words about why in
// the error, not only go-plugin's guesses: what it wrote on stderr that
// is not a JSON log line.
func TestPluginThatFailsToStartSaysWhy(t *testing.T) {
	bin, sum := registrytest.Build(t, t.TempDir(), "github.com/sluicedata/sluice/plugins/examples/e2e/testdata/sluice-plugin-failstart")
	r := runPipeline(t, pluginBlock("failstart", bin, sum)+`
source "memory" "in" {
  table = "in"
}
`, context.Background(), nil)
	var diags *engine.Diagnostics
	if !errors.As(r.err, &diags) {
		t.Fatalf("got %v", r.err)
	}
	msg := diags.Error()
	for _, want := range []string{`plugin "failstart"`, "cannot start: the license file is missing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "a JSON log line") {
		t.Errorf("the error repeats the plugin's JSON log:\n%s", msg)
	}
}
