package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
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
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verify checks the file at path against the hex SHA-256 want.
func verify(path, want string) error {
	got, err := FileSHA256(path)
	if err != nil {
		return err
	}
	want = strings.ToLower(strings.TrimSpace(want))
	if got != want {
		return &ChecksumError{Path: path, Want: want, Got: got}
	}
	return nil
}
