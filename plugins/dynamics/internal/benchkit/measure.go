package benchkit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/dynamics"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
)

// Run is one timed pipeline run.
type Run struct {
	// Wall is the run's elapsed time.
	Wall time.Duration
	// CPU is the user and system CPU time this process used during the run:
	// the engine's and the plugins' work, not the emulator's, which runs in
	// its own process.
	CPU time.Duration
	// Stats are the run's statistics.
	Stats engine.Stats
}

// Measure runs p and times it. On an error the times are still set.
func Measure(ctx context.Context, p *engine.Pipeline) (Run, error) {
	cpu0, start := CPUTime(), time.Now()
	stats, err := p.Run(ctx, engine.RunOptions{})
	r := Run{Wall: time.Since(start), CPU: CPUTime() - cpu0, Stats: stats}
	if err != nil {
		return r, fmt.Errorf("run the pipeline: %w", err)
	}
	return r, nil
}

// CPUTime is the user and system CPU time this process has used so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Logger is a logger for a benchmark's engine: to stderr, warnings and
// errors only unless verbose.
func Logger(verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// ContactsSink is the address of the sink RunFromMemory writes with.
const ContactsSink = "sink.contacts"

// RunFromMemory runs input, held in a memory source, through a dynamics sink
// named contacts that writes to e in requests of batch rows, and times the
// run. sinkBody is the rest of the sink's block: its table, key or match
// block, and mapping. The pipeline reads no environment variables.
func (e *Emulator) RunFromMemory(input []arrow.RecordBatch, batch int, sinkBody string, logger *slog.Logger) (Run, error) {
	if len(input) == 0 {
		return Run{}, errors.New("no input to run")
	}
	store := memplugin.NewStore()
	defer store.Clear()
	store.Put("in", input[0].Schema(), input...)
	eng, err := engine.New(engine.WithPlugins(append(store.Plugins(), dynamics.Plugin)...), engine.WithLogger(logger))
	if err != nil {
		return Run{}, fmt.Errorf("make the engine: %w", err)
	}
	src := fmt.Sprintf(`
source "memory" "in" { table = "in" }
sink "dynamics" "contacts" {
  input = source.in
%s
  batch { rows = %d }
%s
}
`, e.SinkConnection(), batch, sinkBody)
	p, err := eng.Parse(map[string][]byte{"bench.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return Run{}, fmt.Errorf("parse the pipeline: %w", err)
	}
	return Measure(context.Background(), p)
}

// Median is the middle value of xs, the upper of the two middle ones when
// there is an even number of them. It does not reorder xs; xs must not be
// empty.
func Median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// MedianOf is the median of f over rs: a figure's median over runs.
func MedianOf[R any, T cmp.Ordered](rs []R, f func(R) T) T {
	xs := make([]T, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return Median(xs)
}
