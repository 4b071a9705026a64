package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedata/sluice/engine/registry/registrytest"
)

type binaries struct{ httpjson, httpjsonSum, textcase, textcaseSum string }

func buildExamples(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	var b binaries
	b.httpjson, b.httpjsonSum = registrytest.Build(t, dir, "github.com/sluicedata/sluice/plugins/examples/httpjson/cmd/sluice-plugin-httpjson")
	b.textcase, b.textcaseSum = registrytest.Build(t, dir, "github.com/sluicedata/sluice/plugins/examples/textcase/cmd/sluice-plugin-textcase")
	return b
}

// writePipeline writes a pipeline that reads url with the external httpjson
// source and upper-cases names with the external textcase transform. The
// binaries are copied beside it and named relatively, as users do.
func writePipeline(t *testing.T, b binaries, url string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	for _, p := range []string{b.httpjson, b.textcase} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(bin, filepath.Base(p)), data, 0o755)
	}
	src := fmt.Sprintf(`plugin "httpjson" {
  path   = "./bin/sluice-plugin-httpjson"
  sha256 = %q
}
plugin "textcase" {
  path   = "./bin/sluice-plugin-textcase"
  sha256 = %q
}
source "httpjson" "people" {
  url     = %q
  columns = { id = "int64", name = "string" }
}
transform "textcase" "shout" {
  input   = source.people
  columns = ["name"]
}
`, b.httpjsonSum, b.textcaseSum, url)
	path := filepath.Join(dir, "pipeline.hcl")
	os.WriteFile(path, []byte(src), 0o644)
	return path
}

func sluice(ctx context.Context, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestPluginsListIncludesExternalPlugins(t *testing.T) {
	b := buildExamples(t)
	path := writePipeline(t, b, "http://127.0.0.1:1/unused")
	code, out, errOut := sluice(context.Background(), "plugins", "list", "--pipeline", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"filter", "builtin", "httpjson", `plugin "httpjson"`, "textcase", "Upper- or lower-cases"} {
		if !strings.Contains(out, want) {
			t.Errorf("list does not show %q:\n%s", want, out)
		}
	}
	code, out, errOut = sluice(context.Background(), "plugins", "describe", "textcase", "--pipeline", path)
	if code != 0 || !strings.Contains(out, "columns (list(string); required)") || !strings.Contains(out, `external plugin plugin "textcase"`) {
		t.Errorf("describe: exit %d\n%s%s", code, out, errOut)
	}
}

// Killing an external plugin mid-run makes `sluice run` fail, promptly, with
// an error naming the plugin and a nonzero exit code; running again
// completes.
func TestRunFailsWhenAPluginDies(t *testing.T) {
	b := buildExamples(t)
	reached, release := make(chan struct{}), make(chan struct{})
	var hold atomic.Int32
	hold.Store(3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == int(hold.Load()) {
			close(reached)
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		next := ""
		if page < 5 {
			next = fmt.Sprintf(`, "next": "?page=%d"`, page+1)
		}
		fmt.Fprintf(w, `{"items": [{"id": %d, "name": "ada"}, {"id": %d, "name": "grace"}]%s}`, page*2, page*2+1, next)
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	path := writePipeline(t, b, srv.URL+"/?page=1")
	bin := filepath.Join(filepath.Dir(path), "bin", "sluice-plugin-httpjson")

	type result struct {
		code         int
		stdout, errs string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := sluice(context.Background(), "run", "--quiet", path)
		done <- result{code, out, errs}
	}()
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin never asked for page 3")
	}
	pids := registrytest.Children(t, bin)
	if len(pids) != 1 {
		t.Fatalf("plugin processes %v, want one", pids)
	}
	killed := time.Now()
	syscall.Kill(pids[0], syscall.SIGKILL)
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("sluice run did not end after the plugin was killed")
	}
	if took := time.Since(killed); took > 5*time.Second {
		t.Errorf("sluice took %s to fail", took)
	}
	if r.code == 0 || !strings.Contains(r.errs, `plugin "httpjson"`) || !strings.Contains(r.errs, "exited unexpectedly") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.errs)
	}

	hold.Store(-1)
	code, _, errs := sluice(context.Background(), "run", "--quiet", path)
	if code != 0 {
		t.Errorf("rerun: exit %d\n%s", code, errs)
	}
}
