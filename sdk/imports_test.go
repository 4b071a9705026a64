package sdk_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSDKImportsNoEngineOrPlugins keeps the SDK free of engine internals: a
// plugin author imports sdk and nothing of the engine comes with it. Every
// non-test file under sdk/ is checked, so the rule holds transitively; tests
// may exercise the SDK with builtin plugins.
func TestSDKImportsNoEngineOrPlugins(t *testing.T) {
	forbidden := []string{"github.com/sluicedata/sluice/engine", "github.com/sluicedata/sluice/plugins", "github.com/sluicedata/sluice/cmd"}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("sdk/%s imports %s", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files; is the test running in sdk/?", checked)
	}
}
