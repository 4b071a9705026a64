//go:build linux

package registry

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var quiet = slog.New(slog.DiscardHandler)

// binary writes a stand-in plugin binary, last changed well before the
// racy margin as far as the cache can tell (racyMargin is lowered for the
// test: a file's change time cannot be set back), and returns its path
// and checksum.
func binary(t *testing.T, dir, content string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, "plugin")
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, sum
}

func oldEnough(t *testing.T) {
	saved := racyMargin
	racyMargin = -time.Hour
	t.Cleanup(func() { racyMargin = saved })
}

func idOf(t *testing.T, path string) fileID {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return identify(fi)
}

func records(t *testing.T, cache string) []sumRecord {
	t.Helper()
	recs, err := readSums(cache)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return recs
}

func isMismatch(err error) bool {
	var ce *ChecksumError
	return errors.As(err, &ce)
}

// A binary verified once and unchanged since is not read again: a record
// whose checksum is not the file's is believed, which only a skipped read
// can explain.
func TestSumCacheSparesTheReadOfAnUnchangedBinary(t *testing.T) {
	oldEnough(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "state", "plugin-sums.json")
	path, sum := binary(t, dir, "the plugin")
	if err := verify(path, sum, cache, quiet); err != nil {
		t.Fatal(err)
	}
	recs := records(t, cache)
	if len(recs) != 1 || recs[0].SHA256 != sum || recs[0].ID != idOf(t, path) {
		t.Fatalf("cache holds %+v, want the binary's checksum and identity", recs)
	}
	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file %v, %v: want mode 0600", fi.Mode(), err)
	}
	if err := verify(path, sum, cache, quiet); err != nil {
		t.Fatal(err)
	}
	forged := strings.Repeat("ab", 32)
	recs[0].SHA256 = forged
	if err := writeSums(cache, recs); err != nil {
		t.Fatal(err)
	}
	if err := verify(path, forged, cache, quiet); err != nil {
		t.Errorf("the record was not used: %v", err)
	}
	// Without the cache, the same pin fails.
	if err := verify(path, forged, "", quiet); !isMismatch(err) {
		t.Errorf("without the cache: %v, want a mismatch", err)
	}
}

// Whatever changes the contents changes the identity, and the binary is
// read again: rewritten in place with its size and modification time
// restored, or replaced by another file of the same size and time.
func TestSumCacheNoticesChangedBinaries(t *testing.T) {
	oldEnough(t)
	for _, how := range []string{"rewritten", "replaced"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			cache := filepath.Join(dir, "plugin-sums.json")
			path, sum := binary(t, dir, "the plugin, version 1")
			if err := verify(path, sum, cache, quiet); err != nil {
				t.Fatal(err)
			}
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			evil := []byte("the plugin, version 2")
			switch how {
			case "rewritten":
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt(evil, 0); err != nil {
					t.Fatal(err)
				}
				f.Close()
			case "replaced":
				other := filepath.Join(dir, "other")
				if err := os.WriteFile(other, evil, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(other, path); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
				t.Fatal(err)
			}
			after := idOf(t, path)
			if after.Size != before.Size() || after.Mtime != before.ModTime().UnixNano() {
				t.Fatalf("the stand-in did not keep its size and time: %+v", after)
			}
			if err := verify(path, sum, cache, quiet); !isMismatch(err) {
				t.Errorf("verify of the %s binary: %v, want a mismatch", how, err)
			}
			if recs := records(t, cache); len(recs) != 1 || recs[0].SHA256 != sum {
				t.Errorf("cache holds %+v after a mismatch, want the first record only", recs)
			}
		})
	}
}

// Nothing is recorded for a binary changed within the racy margin, nor
// for one that does not match its pin; a record does not vouch for
// another pin.
func TestSumCacheRecordsOnlyWhatItCanVouchFor(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "plugin-sums.json")
	path, sum := binary(t, dir, "fresh from the build")
	if err := verify(path, sum, cache, quiet); err != nil {
		t.Fatal(err)
	}
	if recs := records(t, cache); len(recs) != 0 {
		t.Errorf("a binary changed a moment ago was recorded: %+v", recs)
	}
	oldEnough(t)
	if err := verify(path, strings.Repeat("0", 64), cache, quiet); !isMismatch(err) {
		t.Fatalf("wrong pin: %v", err)
	}
	if recs := records(t, cache); len(recs) != 0 {
		t.Errorf("a mismatch was recorded: %+v", recs)
	}
	if err := verify(path, sum, cache, quiet); err != nil {
		t.Fatal(err)
	}
	if err := verify(path, strings.Repeat("0", 64), cache, quiet); !isMismatch(err) {
		t.Errorf("a record for one pin let another pass: %v", err)
	}
}

// A cache file others may write is not believed.
func TestSumCacheIgnoresAFileOthersCanWrite(t *testing.T) {
	oldEnough(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "plugin-sums.json")
	path, _ := binary(t, dir, "the plugin")
	forged := strings.Repeat("cd", 32)
	if err := writeSums(cache, []sumRecord{{Path: path, ID: idOf(t, path), SHA256: forged}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cache, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := verify(path, forged, cache, quiet); !isMismatch(err) {
		t.Errorf("a world-writable cache was believed: %v", err)
	}
}
