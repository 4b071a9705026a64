package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCommitReplacesAndAbortKeeps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "out.txt")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// More than syncEvery bytes, so background syncs run too.
	big := bytes.Repeat([]byte("0123456789abcdef"), (syncEvery/16)*2+5)
	if _, err := f.Write(big); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the destination exists before Commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("committed %d bytes, %v", len(got), err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm()&0o044 == 0 {
		t.Errorf("mode %v: others cannot read the file, unlike one made by os.Create", fi.Mode())
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}

	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Errorf("Commit after Abort: %v", err)
	}
	got, _ = os.ReadFile(path)
	entries, _ := os.ReadDir(filepath.Dir(path))
	if !bytes.Equal(got, big) || len(entries) != 1 {
		t.Errorf("after Abort: %d bytes, directory %v", len(got), entries)
	}
}
