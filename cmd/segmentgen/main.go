// Command segmentgen writes a deterministic synthetic "warehouse segment" CSV
// for benchmarks and tests:
//
//	go run ./cmd/segmentgen --rows 1000000 --seed 1 --out testdata/segment.csv
//
// The same rows and seed always produce the same bytes. See package segment
// for what the data looks like.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
)

func main() {
	rows := flag.Int("rows", 1000, "number of data rows to write")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same data")
	out := flag.String("out", "-", `file to write, or "-" for standard output`)
	flag.Parse()
	if err := run(*rows, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "segmentgen:", err)
		os.Exit(1)
	}
}

func run(rows int, seed uint64, out string) error {
	if rows < 0 {
		return fmt.Errorf("--rows must not be negative, got %d", rows)
	}
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
		if err := segment.Write(w, segment.Options{Rows: rows, Seed: seed}); err != nil {
			return fmt.Errorf("writing %s: %w", out, err)
		}
		return f.Close()
	}
	return segment.Write(w, segment.Options{Rows: rows, Seed: seed})
}
