package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The checksum cache spares a launch from reading the whole plugin binary
// when the binary has not changed since it was last verified: hashing a
// 50 MB plugin costs ≈ 40 ms of CPU before every run
// (docs/benchmarks.md, "External plugins"), as much as the rest of the launch.
//
// A record holds the binary's absolute path, the SHA-256 read from it, and
// the file's identity as the kernel reported it while it was read: device,
// inode, size, modification time and change time. A later launch whose
// pin is that SHA-256 and whose binary has that identity is not read
// again. Anything that changes the file's contents changes its identity:
// writing or truncating it updates its modification and change times,
// replacing it (a rebuild, a copy, a rename over it) gives another inode,
// and the change time, unlike the modification time, cannot be set back
// by anyone but root — who could as well replace the sluice binary.
//
// Two cases could change a file without a new change time, and neither is
// cached:
//
//   - A change within the kernel's timestamp granularity after the read
//     (git calls this "racily clean"), and a write through a shared
//     writable mapping that was already dirty, which the kernel stamps
//     only at the first write after each writeback (within 30 s by
//     default). So a binary whose modification or change time is less
//     than racyMargin before the read is verified but not recorded: it is
//     hashed again at every launch until it has been left alone for that
//     long.
//   - A cache file written by someone else: it is used only if it is a
//     regular file owned by the effective user and writable by no one
//     else. It lives beside the pipeline's state, which anyone who can
//     write there could already rewind or corrupt.
//
// Whether the checksum was read or found here, the identity is fstat's of
// the file verify keeps open, and on Linux the process is started from that
// open file (fexec_linux.go), so replacing the binary at its path after
// the check does not change what runs. Elsewhere, or without /proc, the
// process is started by path, and someone who can write the binary can
// still swap it between the check and the start.

// racyMargin is how long a binary must have been left unchanged before
// its checksum is recorded.
var racyMargin = time.Minute

// maxSumRecords bounds the cache file; the records verified longest ago
// are dropped first.
const maxSumRecords = 64

// fileID is a file's identity as the kernel reports it; its zero value
// means unknown, and is never recorded.
type fileID struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime_ns"`
	Ctime int64  `json:"ctime_ns"`
}

type sumRecord struct {
	Path     string    `json:"path"`
	ID       fileID    `json:"id"`
	SHA256   string    `json:"sha256"`
	Verified time.Time `json:"verified"`
}

type sumFile struct {
	Version int         `json:"version"`
	Records []sumRecord `json:"records"`
}

// cachedSum returns the SHA-256 recorded in the cache file for path with
// identity id, or "" when there is none, or no cache to trust.
func cachedSum(cacheFile, path string, id fileID) string {
	if cacheFile == "" || id == (fileID{}) {
		return ""
	}
	recs, err := readSums(cacheFile)
	if err != nil {
		return ""
	}
	for _, r := range recs {
		if r.Path == path && r.ID == id {
			return r.SHA256
		}
	}
	return ""
}

// recordSum remembers that the file at path, with identity id, had the
// given SHA-256 when read at the time read. It records nothing for a file
// changed within racyMargin of the read.
func recordSum(cacheFile, path string, id fileID, sum string, read time.Time) error {
	if cacheFile == "" || id == (fileID{}) {
		return nil
	}
	limit := read.Add(-racyMargin).UnixNano()
	if id.Mtime > limit || id.Ctime > limit {
		return nil
	}
	recs, err := readSums(cacheFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// An untrusted or unreadable cache is replaced: rename does not
		// write through it.
		recs = nil
	}
	recs = slices.DeleteFunc(recs, func(r sumRecord) bool { return r.Path == path })
	recs = append(recs, sumRecord{Path: path, ID: id, SHA256: sum, Verified: time.Now().UTC()})
	if len(recs) > maxSumRecords {
		slices.SortStableFunc(recs, func(a, b sumRecord) int { return a.Verified.Compare(b.Verified) })
		recs = recs[len(recs)-maxSumRecords:]
	}
	return writeSums(cacheFile, recs)
}

// readSums reads the cache file, if it is one to trust.
func readSums(cacheFile string) ([]sumRecord, error) {
	f, err := os.Open(cacheFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := trustedFile(fi); err != nil {
		return nil, fmt.Errorf("%s: %w", cacheFile, err)
	}
	var sf sumFile
	if err := json.NewDecoder(f).Decode(&sf); err != nil {
		return nil, fmt.Errorf("%s: %w", cacheFile, err)
	}
	if sf.Version != 1 {
		return nil, fmt.Errorf("%s: version %d", cacheFile, sf.Version)
	}
	return sf.Records, nil
}

// writeSums replaces the cache file, whole, so that a reader sees the old
// file or the new one.
func writeSums(cacheFile string, recs []sumRecord) error {
	dir := filepath.Dir(cacheFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sumFile{Version: 1, Records: recs}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(cacheFile)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600, which trustedFile requires.
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), cacheFile)
}
