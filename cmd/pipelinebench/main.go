// Command pipelinebench times whole `sluice run` processes, the way users run
// pipelines, for `make bench`: wall time (median of several runs), rows per
// second and the peak resident memory of the process.
//
//	pipelinebench --sluice bin/sluice --rows 1000000 --runs 3 w1=testdata/bench/w1.hcl -- --var input=…
//
// Each argument before "--" is name=pipeline; the arguments after it are
// passed to every `sluice run`. --cmd name="program args…" times another
// program the same way, as a baseline to compare with.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	sluice := flag.String("sluice", "bin/sluice", "the sluice binary to run")
	rows := flag.Int64("rows", 0, "rows in the input, for rows per second")
	runs := flag.Int("runs", 3, "runs per pipeline; the median is reported")
	var baselines []string
	flag.Func("cmd", `a baseline program to time: name="program args…" (repeatable)`, func(s string) error {
		baselines = append(baselines, s)
		return nil
	})
	flag.Parse()
	args := flag.Args()
	var pipelines, extra []string
	if i := slices.Index(args, "--"); i >= 0 {
		pipelines, extra = args[:i], args[i+1:]
	} else {
		pipelines = args
	}
	fmt.Printf("%-12s %10s %14s %12s  %s\n", "name", "wall (s)", "rows/s", "peak RSS", "all runs (s)")
	failed := false
	type job struct {
		name string
		argv []string
	}
	var jobs []job
	for _, p := range pipelines {
		name, path, ok := strings.Cut(p, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "pipelinebench: %q is not name=pipeline\n", p)
			os.Exit(2)
		}
		jobs = append(jobs, job{name, append([]string{*sluice, "run", "--quiet", path}, extra...)})
	}
	for _, b := range baselines {
		name, command, ok := strings.Cut(b, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "pipelinebench: %q is not name=command\n", b)
			os.Exit(2)
		}
		jobs = append(jobs, job{name, strings.Fields(command)})
	}
	for _, j := range jobs {
		name := j.name
		var walls []time.Duration
		var peak int64
		for range *runs {
			wall, rss, err := runOnce(j.argv[0], j.argv[1:])
			if err != nil {
				fmt.Fprintf(os.Stderr, "pipelinebench: %s: %v\n", name, err)
				failed = true
				break
			}
			walls = append(walls, wall)
			peak = max(peak, rss)
		}
		if len(walls) == 0 {
			continue
		}
		slices.Sort(walls)
		median := walls[len(walls)/2]
		var all []string
		for _, w := range walls {
			all = append(all, fmt.Sprintf("%.2f", w.Seconds()))
		}
		rate := "-"
		if *rows > 0 {
			rate = fmt.Sprintf("%.0f", float64(*rows)/median.Seconds())
		}
		fmt.Printf("%-12s %10.2f %14s %9d MiB  %s\n", name, median.Seconds(), rate, peak>>20, strings.Join(all, " "))
	}
	if failed {
		os.Exit(1)
	}
}

// runOnce runs one process and returns its wall time and peak RSS in bytes.
func runOnce(bin string, args []string) (time.Duration, int64, error) {
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	wall := time.Since(start)
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return wall, 0, nil
	}
	return wall, usage.Maxrss * 1024, nil // Maxrss is in KiB on Linux
}
