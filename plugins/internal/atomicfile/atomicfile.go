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

	// syncing is closed when the background sync started after the last
	// syncEvery bytes ends; unsynced counts bytes written since it started.
	syncing  chan struct{}
	unsynced int64
}

// syncEvery is how much is written between background syncs. Syncing as the
// file grows lets the disk write while the pipeline computes, so the sync in
// Commit, which makes the file durable, has little left to do.
const syncEvery = 32 << 20

// tracker counts the bytes passing from the buffer to the file.
type tracker struct{ f *File }

func (t tracker) Write(p []byte) (int, error) {
	n, err := t.f.tmp.Write(p)
	t.f.unsynced += int64(n)
	if t.f.unsynced >= syncEvery {
		t.f.backgroundSync()
	}
	return n, err
}

func (f *File) backgroundSync() {
	if f.syncing != nil {
		select {
		case <-f.syncing:
		default:
			return // the previous one is still running
		}
	}
	f.unsynced = 0
	done := make(chan struct{})
	f.syncing = done
	go func() {
		defer close(done)
		f.tmp.Sync() // an error shows again in Commit's own sync
	}()
}

func (f *File) waitSync() {
	if f.syncing != nil {
		<-f.syncing
	}
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
	f := &File{path: path, tmp: tmp}
	f.Writer = bufio.NewWriterSize(tracker{f}, 1<<20)
	return f, nil
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
	f.waitSync()
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
	f.waitSync()
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
