package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/engine/config"
)

const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestPluginBlockPathIsRelativeToItsFile(t *testing.T) {
	dir := t.TempDir()
	src := `plugin "x" {
  path   = "./bin/sluice-plugin-x"
  sha256 = "` + strings.ToUpper(sum) + `"
}
plugin "abs" {
  path   = "/opt/sluice-plugin-abs"
  sha256 = "` + sum + `"
}
source "x" "in" {}
`
	path := filepath.Join(dir, "p.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p, diags := config.Load(path, config.Inputs{LookupEnv: env(nil)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.Plugins) != 2 {
		t.Fatalf("got %d plugin blocks", len(p.Plugins))
	}
	if got, want := p.Plugins[0].Path, filepath.Join(dir, "bin", "sluice-plugin-x"); got != want {
		t.Errorf("path %q, want %q", got, want)
	}
	if got := p.Plugins[1].Path; got != "/opt/sluice-plugin-abs" {
		t.Errorf("absolute path became %q", got)
	}
	if p.Plugins[0].SHA256Range.Start.Line != 3 {
		t.Errorf("sha256 range %v", p.Plugins[0].SHA256Range)
	}
}

func TestPluginBlockMistakes(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"missing sha256": {`plugin "x" { path = "a" }`, `The argument "sha256" is required`},
		"bad sha256":     {`plugin "x" {` + "\n" + `path = "a"` + "\n" + `sha256 = "abc"` + "\n}", "p.hcl:3,10-15: Invalid sha256"},
		"unknown":        {`plugin "x" {` + "\n" + `path = "a"` + "\n" + `sha256 = "` + sum + `"` + "\n" + `version = 2` + "\n}", "Unsupported argument"},
		"duplicate": {`plugin "x" {` + "\n" + `path = "a"` + "\n" + `sha256 = "` + sum + `"` + "\n}\n" +
			`plugin "x" {` + "\n" + `path = "b"` + "\n" + `sha256 = "` + sum + `"` + "\n}", `Duplicate plugin "x"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := parse(t, tc.src+"\nsource \"s\" \"in\" {}\n", config.Inputs{})
			if got := text(diags); !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
