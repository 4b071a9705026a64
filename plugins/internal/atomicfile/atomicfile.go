// Package atomicfile writes a file so that readers see either the previous
// file or the complete new one, never a half-written one: data goes to a
// temporary file in the destination's directory, which Commit renames into
// place. A file sink whose run fails calls Abort instead, and the
// destination is left as it was.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// File is a destination being written.
type File struct {
	path string
	tmp  *os.File
	*bufio.Writer
	done bool
}

// Create starts writing path, creating missing parent directories.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating directory for %s: %w", path, err)
	}
	tmp, err := createTemp(dir, filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	return &File{path: path, tmp: tmp, Writer: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

// Path is the destination.
func (f *File) Path() string { return f.path }

// Commit flushes, syncs and renames the temporary file into place.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	name := f.tmp.Name()
	err := f.Writer.Flush()
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, f.path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// Abort discards what was written. It is safe to call after Commit, when it
// does nothing.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	name := f.tmp.Name()
	err := f.tmp.Close()
	if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	return err
}

// createTemp creates a new hidden file beside the destination. Unlike
// os.CreateTemp it asks for mode 0666, so the committed file gets the same
// permissions (after the umask) as one made by os.Create.
func createTemp(dir, base string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("could not find an unused temporary name in %s", dir)
}
