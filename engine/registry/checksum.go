package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ChecksumError says a plugin binary is not the one the pipeline pins.
type ChecksumError struct {
	Path      string
	Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s has sha256 %s, but the pipeline pins %s", e.Path, e.Got, e.Want)
}

// FileSHA256 returns the hex SHA-256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readSHA256(f)
}

func readSHA256(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verify checks the file at path against the hex SHA-256 want (see
// verifyOpen).
func verify(path, want, cacheFile string, logger *slog.Logger) error {
	f, err := verifyOpen(path, want, cacheFile, logger)
	if err != nil {
		return err
	}
	return f.Close()
}

// verifyOpen checks the file at path against the hex SHA-256 want, and
// returns it open: the file verified, which the caller starts through this
// descriptor where it can (fexec_linux.go), whatever is at path by then.
// With a cache file (sumcache.go), a binary recorded there with the
// identity fstat gives for the open file, and that checksum, is not read
// again, and one read and found right is recorded.
func verifyOpen(path, want, cacheFile string, logger *slog.Logger) (_ *os.File, err error) {
	want = strings.ToLower(strings.TrimSpace(want))
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	id := identify(fi)
	if want != "" && cachedSum(cacheFile, abs, id) == want {
		logger.Debug("plugin binary unchanged since its checksum was verified", slog.String("path", abs), slog.String("cache", cacheFile))
		return f, nil
	}
	read := time.Now()
	got, err := readSHA256(f)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, &ChecksumError{Path: path, Want: want, Got: got}
	}
	// A file that changed while it was read is not recorded: what was read
	// may be neither version.
	if after, err := f.Stat(); err == nil && identify(after) == id {
		if err := recordSum(cacheFile, abs, id, got, read); err != nil {
			logger.Debug("plugin checksum not cached", slog.String("cache", cacheFile), slog.Any("error", err))
		}
	}
	return f, nil
}
