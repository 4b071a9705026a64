//go:build linux

package registry_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/engine/registry"
	"github.com/sluicedata/sluice/engine/registry/registrytest"
)

const (
	environ  = "github.com/sluicedata/sluice/plugins/examples/e2e/testdata/sluice-plugin-environ"
	textcase = "github.com/sluicedata/sluice/plugins/examples/textcase/cmd/sluice-plugin-textcase"
)

// served returns the names of the plugins p serves.
func served(p *registry.Process) []string {
	var names []string
	for _, pl := range p.Plugins() {
		names = append(names, pl.Info().Name)
	}
	return names
}

// A binary replaced at its path between its verification and its start
// does not run: the process is the file verified, whether its checksum was
// read or found in the cache, and whether it is a program or a script.
func TestSwapAfterVerificationDoesNotRun(t *testing.T) {
	dir := t.TempDir()
	pinned, pinnedSum := registrytest.Build(t, filepath.Join(dir, "pinned"), environ)
	other, _ := registrytest.Build(t, filepath.Join(dir, "other"), textcase)
	registry.CacheAtOnce(t)

	script := func(name, exe string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("#!/bin/sh\nexec "+exe+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	goodScript, badScript := script("good.sh", pinned), script("bad.sh", other)
	goodScriptSum, err := registry.FileSHA256(goodScript)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name      string
		bin, sum  string
		swapIn    string // what the hook renames over bin: a copy of it
		cached    bool
		fromCache bool
	}{
		{name: "read", bin: pinned, sum: pinnedSum, swapIn: other},
		{name: "cached", bin: pinned, sum: pinnedSum, swapIn: other, cached: true},
		{name: "script", bin: goodScript, sum: goodScriptSum, swapIn: badScript},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The path launched is a copy, so that each case swaps its own.
			path := filepath.Join(t.TempDir(), filepath.Base(tc.bin))
			copyFile(t, tc.bin, path)
			var log bytes.Buffer
			opts := registry.LaunchOptions{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			if tc.cached {
				opts.SumCache = filepath.Join(t.TempDir(), "plugin-sums.json")
				p, err := registry.Launch(context.Background(), registry.Binary{Name: "x", Path: path, SHA256: tc.sum}, opts)
				if err != nil {
					t.Fatal(err)
				}
				p.Kill()
			}
			swapped := false
			registry.SetAfterVerify(t, func(string) {
				tmp := path + ".swap"
				copyFile(t, tc.swapIn, tmp)
				if err := os.Rename(tmp, path); err != nil {
					t.Error(err)
				}
				swapped = true
			})
			log.Reset()
			p, err := registry.Launch(context.Background(), registry.Binary{Name: "x", Path: path, SHA256: tc.sum}, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Kill()
			if !swapped {
				t.Fatal("the hook was not called")
			}
			if tc.cached && !strings.Contains(log.String(), "unchanged since its checksum was verified") {
				t.Errorf("the checksum was not found in the cache; log:\n%s", log.String())
			}
			if got := served(p); !slices.Equal(got, []string{"environ"}) {
				t.Errorf("the process serves %v, the swapped-in binary's plugins; want the pinned binary's [environ]", got)
			}
			if tc.name == "script" {
				return
			}
			// The process runs the file that was at path, since replaced;
			// its argv[0] is still the path.
			exe, err := os.Readlink("/proc/" + strconv.Itoa(p.Pid()) + "/exe")
			if err != nil {
				t.Fatal(err)
			}
			if exe != path+" (deleted)" {
				t.Errorf("the process runs %s, want %s (deleted)", exe, path)
			}
			cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/cmdline")
			if err != nil {
				t.Fatal(err)
			}
			if argv0, _, _ := strings.Cut(string(cmdline), "\x00"); argv0 != path {
				t.Errorf("argv[0] is %q, want %q", argv0, path)
			}
		})
	}
}

// A binary not replaced is found by its path, and the process inherits
// no descriptor of it.
func TestStartedBinaryIsFoundByPath(t *testing.T) {
	bin, sum := registrytest.Build(t, t.TempDir(), environ)
	p, err := registry.Launch(context.Background(), registry.Binary{Name: "environ", Path: bin, SHA256: sum}, registry.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if pids := registrytest.Children(t, bin); !slices.Equal(pids, []int{p.Pid()}) {
		t.Errorf("processes running %s: %v, want [%d]", bin, pids, p.Pid())
	}
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(p.Pid()) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/" + strconv.Itoa(p.Pid()) + "/fd/" + fd.Name()); err == nil && target == bin {
			t.Errorf("the process holds its binary open as descriptor %s", fd.Name())
		}
	}
}

// A binary that cannot be exec'd is named by its path in the error.
func TestExecFailureNamesThePath(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sluice-plugin-garbage")
	if err := os.WriteFile(bin, []byte("not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := registry.FileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	_, err = registry.Launch(context.Background(), registry.Binary{Name: "garbage", Path: bin, SHA256: sum}, registry.LaunchOptions{})
	if err == nil {
		t.Fatal("a file that is not a program started")
	}
	if msg := err.Error(); strings.Contains(msg, "/proc/self/fd") || strings.Count(msg, bin) < 2 {
		t.Errorf("the error does not name %s wherever it names the file: %v", bin, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
