// Package registrytest builds plugin binaries for tests that run them as real
// processes: the end-to-end tests of external plugins, the CLI's tests and
// the plugin benchmarks.
package registrytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/engine/registry"
)

// Build compiles the main package at pkg (an import path in this module)
// into dir and returns the binary's path and hex SHA-256.
func Build(tb testing.TB, dir, pkg string) (path, sum string) {
	tb.Helper()
	path = filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", path, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	sum, err := registry.FileSHA256(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, sum
}

// Children returns the pids of the running processes whose parent is this
// process and whose executable is path. Linux only: it reads /proc.
func Children(tb testing.TB, path string) []int {
	tb.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatalf("cannot list processes without /proc: %v", err)
	}
	self := os.Getpid()
	var out []int
	for _, e := range entries {
		pid := 0
		for _, r := range e.Name() {
			if r < '0' || r > '9' {
				pid = -1
				break
			}
			pid = pid*10 + int(r-'0')
		}
		if pid <= 0 {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name, which is in parentheses:
		// state, then the parent's pid.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		fields := strings.Fields(rest)
		if len(fields) < 2 || fields[1] != strconv.Itoa(self) || fields[0] == "Z" {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && exe == path {
			out = append(out, pid)
		}
	}
	return out
}
