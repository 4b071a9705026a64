// Package fileset finds the files a file source reads and records where in
// them a source stopped, so that csv, jsonl and parquet sources expand globs
// and write checkpoints the same way.
package fileset

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Expand returns the files pattern names: the file itself when pattern has no
// glob characters, otherwise every regular file that matches, sorted by name
// so that a run reads them in a predictable order. Matching nothing is an
// error, since a source that silently reads nothing hides a typo.
func Expand(pattern string) ([]string, error) {
	if !hasMeta(pattern) {
		fi, err := os.Stat(pattern)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory; use a glob such as %q", pattern, filepath.Join(pattern, "*"))
		}
		return []string{pattern}, nil
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %w", pattern, err)
	}
	files := matches[:0]
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
			files = append(files, m)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no file matches %q", pattern)
	}
	slices.Sort(files)
	return files, nil
}

func hasMeta(path string) bool {
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

// Position is a place in a set of files: the checkpoint of file sources. Text
// sources set Offset (bytes) and Line, the 1-based number of the next line to
// read; parquet sets RowGroup and Offset, the rows of that row group already
// read. The file is
// recorded by name, so a resumed run can find it among the matches of a glob
// whose matches have changed.
type Position struct {
	File     string `json:"file"`
	Offset   int64  `json:"offset,omitempty"`
	Line     int64  `json:"line,omitempty"`
	RowGroup int    `json:"row_group,omitempty"`
}

// Encode returns p as a checkpoint.
func (p Position) Encode() []byte {
	b, _ := json.Marshal(p)
	return b
}

// DecodePosition parses a checkpoint written by Encode.
func DecodePosition(cp []byte) (Position, error) {
	var p Position
	if err := json.Unmarshal(cp, &p); err != nil || p.File == "" {
		return p, fmt.Errorf("invalid checkpoint %q: not written by this source", cp)
	}
	return p, nil
}

// Resume returns the index in files of the file to continue reading at from
// p, and whether reading continues inside it (true) or at the start of the
// file at the index (false, when p's file is no longer among them and the
// next file by name is). The index is len(files) when nothing is left.
func Resume(files []string, p Position) (int, bool) {
	i, found := slices.BinarySearch(files, p.File)
	return i, found
}
