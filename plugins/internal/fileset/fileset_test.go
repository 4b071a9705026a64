package fileset

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.csv", "a.csv", "c.txt"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "d.csv"), 0o755)
	got, err := Expand(filepath.Join(dir, "*.csv"))
	if err != nil || !slices.Equal(got, []string{filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")}) {
		t.Errorf("glob: %v %v", got, err)
	}
	if _, err := Expand(filepath.Join(dir, "*.json")); err == nil || !strings.Contains(err.Error(), "no file matches") {
		t.Errorf("no match: %v", err)
	}
	if _, err := Expand(filepath.Join(dir, "d.csv")); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("a directory: %v", err)
	}
	if _, err := Expand(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("a missing file")
	}
}

func TestPositionAndResume(t *testing.T) {
	p := Position{File: "b.csv", Offset: 10, Line: 3}
	back, err := DecodePosition(p.Encode())
	if err != nil || back != p {
		t.Fatalf("%+v %v", back, err)
	}
	if _, err := DecodePosition([]byte("garbage")); err == nil {
		t.Error("garbage decoded")
	}
	files := []string{"a.csv", "b.csv", "d.csv"}
	for _, c := range []struct {
		file   string
		index  int
		inside bool
	}{{"b.csv", 1, true}, {"c.csv", 2, false}, {"e.csv", 3, false}, {"0.csv", 0, false}} {
		i, inside := Resume(files, Position{File: c.file})
		if i != c.index || inside != c.inside {
			t.Errorf("Resume at %s = %d, %v", c.file, i, inside)
		}
	}
}
