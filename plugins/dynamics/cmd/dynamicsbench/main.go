// Command dynamicsbench measures the Dynamics sink against the Dataverse
// emulator running in another process, under service protection limits
// scaled down to a 10-second window and a simulated server cost, and
// reports records per second, requests, 429s, the ratio to the ceiling the
// limits allow, and the CPU the sink's process used.
//
//	go build -o /tmp/sluice ./cmd/sluice
//	go run ./plugins/dynamics/cmd/dynamicsbench --sluice /tmp/sluice --rows 200000 --runs 3
//
// The pipeline is a memory source of pre-built Arrow batches feeding the
// dynamics sink through the engine, so the process's CPU time is the
// engine's and the sink's: building request bodies, TLS, HTTP, MSAL. The
// emulator's own work is in its process and not counted.
package main

import (
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/benchkit"
)

func main() {
	sluice := flag.String("sluice", "", "the sluice binary that runs the emulator (required)")
	rows := flag.Int("rows", 200_000, "rows to upsert")
	runs := flag.Int("runs", 3, "runs; medians are reported")
	batch := flag.Int("batch", 1000, "rows per request (the sink's batch { rows })")
	limits := flag.String("limits", "requests=200,window=10s,time=40s,concurrent=16", "the emulator's service protection limits")
	cost := flag.String("cost", "request=20ms,record=1ms", "the emulator's simulated cost")
	verbose := flag.Bool("v", false, "log the sink's messages")
	traceFlag := flag.Bool("trace", false, "print every request with the execution time in the 10 s before it ended, to stderr")
	flag.Parse()
	if *sluice == "" {
		fmt.Fprintln(os.Stderr, "dynamicsbench: --sluice is required")
		os.Exit(2)
	}
	trace = *traceFlag
	if err := run(*sluice, *rows, *runs, *batch, *limits, *cost, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "dynamicsbench:", err)
		os.Exit(1)
	}
}

// trace prints the request log with a sliding execution-time sum.
var trace bool

type result struct {
	// serverTime is the emulator's mean time per write request: the
	// execution time it counts, cost and its own processing.
	serverTime time.Duration
	wall       time.Duration
	cpu        time.Duration
	requests   int
	throttled  int
}

func run(sluice string, rows, runs, batch int, limits, cost string, verbose bool) error {
	emu, err := benchkit.StartEmulator(sluice, "--limits", limits, "--cost", cost)
	if err != nil {
		return err
	}
	defer emu.Stop()

	ceilingRPS, perRequest := ceiling(limits, cost, batch)
	fmt.Printf("limits %s, cost %s, %d rows per request\n", limits, cost, batch)
	fmt.Printf("ceiling %.0f records/s (%s per request of %d)\n\n", ceilingRPS, perRequest, batch)
	fmt.Printf("%-4s %9s %12s %9s %6s %8s %10s %8s %10s\n", "run", "wall (s)", "records/s", "requests", "429s", "ceiling", "CPU (s)", "cores", "server (s)")

	mem := memory.NewGoAllocator()
	input := buildInput(mem, rows)
	defer func() {
		for _, b := range input {
			b.Release()
		}
	}()
	logger := benchkit.Logger(verbose)
	var results []result
	for i := range runs {
		if err := emu.Reset(); err != nil {
			return err
		}
		run, err := emu.RunFromMemory(input, batch, sinkBody, logger)
		if err != nil {
			return err
		}
		n, _ := run.Stats.Node(benchkit.ContactsSink)
		if n.Out != int64(rows) {
			return fmt.Errorf("run %d wrote %d of %d rows", i+1, n.Out, rows)
		}
		r := result{wall: run.Wall, cpu: run.CPU}
		if err := countRequests(emu, &r); err != nil {
			return err
		}
		results = append(results, r)
		rps := float64(rows) / r.wall.Seconds()
		fmt.Printf("%-4d %9.2f %12.0f %9d %6d %7.1f%% %10.2f %8.3f %10.3f\n", i+1, r.wall.Seconds(), rps, r.requests, r.throttled,
			100*rps/ceilingRPS, r.cpu.Seconds(), r.cpu.Seconds()/r.wall.Seconds(), r.serverTime.Seconds())
	}
	med := func(f func(result) float64) float64 { return benchkit.MedianOf(results, f) }
	rps := med(func(r result) float64 { return float64(rows) / r.wall.Seconds() })
	fmt.Printf("%-4s %9.2f %12.0f %9.0f %6.0f %7.1f%% %10.2f %8.3f %10.3f\n", "med",
		med(func(r result) float64 { return r.wall.Seconds() }), rps,
		med(func(r result) float64 { return float64(r.requests) }), med(func(r result) float64 { return float64(r.throttled) }),
		100*rps/ceilingRPS, med(func(r result) float64 { return r.cpu.Seconds() }),
		med(func(r result) float64 { return r.cpu.Seconds() / r.wall.Seconds() }),
		med(func(r result) float64 { return r.serverTime.Seconds() }))
	return nil
}

// ceiling is the sustainable rate the limits allow with requests of n
// records: the least of what the execution-time budget, the request count
// and the concurrent requests permit.
func ceiling(limits, cost string, n int) (float64, time.Duration) {
	l := parseSpec(limits)
	c := parseSpec(cost)
	window := dur(l["window"], 300*time.Second)
	budget := dur(l["time"], 1200*time.Second)
	perRequest := dur(c["request"], 0) + time.Duration(n)*dur(c["record"], 0)
	requests := num(l["requests"], 6000)
	concurrent := num(l["concurrent"], 52)
	byTime := math.Inf(1)
	if perRequest > 0 {
		byTime = budget.Seconds() / window.Seconds() / perRequest.Seconds() * float64(n)
	}
	byCount := requests / window.Seconds() * float64(n)
	byConcurrency := math.Inf(1)
	if perRequest > 0 {
		byConcurrency = concurrent / perRequest.Seconds() * float64(n)
	}
	return math.Min(byTime, math.Min(byCount, byConcurrency)), perRequest
}

func parseSpec(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func dur(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil {
		return d
	}
	return def
}

func num(s string, def float64) float64 {
	var f float64
	if _, err := fmt.Sscan(s, &f); err == nil {
		return f
	}
	return def
}

// buildInput builds the rows: unique emails and a few columns of the kind a
// segment carries.
func buildInput(mem memory.Allocator, rows int) []arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "email", Type: arrow.BinaryTypes.String}, {Name: "first_name", Type: arrow.BinaryTypes.String},
		{Name: "last_name", Type: arrow.BinaryTypes.String}, {Name: "company", Type: arrow.BinaryTypes.String},
		{Name: "phone", Type: arrow.BinaryTypes.String}, {Name: "city", Type: arrow.BinaryTypes.String},
		{Name: "lifetime_value", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	firsts := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis"}
	lasts := []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie"}
	cities := []string{"London", "Paris", "Berlin", "Madrid", "Rome", "Oslo", "Vienna", "Lisbon"}
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range rows {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(firsts[i%8]), strings.ToLower(lasts[i/8%8]), i))
		b.Field(1).(*array.StringBuilder).Append(firsts[i%8])
		b.Field(2).(*array.StringBuilder).Append(lasts[i/8%8])
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("Company %d", i%997))
		b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("+44 20 %04d %04d", i%10000, (i*7)%10000))
		b.Field(5).(*array.StringBuilder).Append(cities[i%8])
		b.Field(6).(*array.Float64Builder).Append(float64(i%5000) + 0.5)
		if b.Field(0).Len() == 10_000 || i == rows-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

const sinkBody = `
  table   = "contact"
  key     = { emailaddress1 = "lower(email)" }
  mapping {
    firstname           = "first_name"
    lastname            = "last_name"
    telephone1          = "phone"
    address1_city       = "city"
    description         = "company"
    creditlimit         = "lifetime_value"
  }
`

// countRequests reads the emulator's request log.
func countRequests(emu *benchkit.Emulator, r *result) error {
	entries, err := emu.Log(0)
	if err != nil {
		return err
	}
	if trace {
		t0 := entries[0].Time
		for _, e := range entries {
			end := e.Time.Add(e.Duration)
			var sum time.Duration
			for _, f := range entries {
				fe := f.Time.Add(f.Duration)
				if !fe.After(end) && fe.After(end.Add(-10*time.Second)) && f.Status != 429 {
					sum += f.Duration
				}
			}
			fmt.Fprintf(os.Stderr, "%7.2f %4d %6.3f window=%6.2f\n", e.Time.Sub(t0).Seconds(), e.Status, e.Duration.Seconds(), sum.Seconds())
		}
	}
	var writes int
	var busy time.Duration
	for _, e := range entries {
		if e.InBatch {
			continue
		}
		r.requests++
		if e.Status == http.StatusTooManyRequests {
			r.throttled++
		}
		if e.Write && e.Status < 300 {
			writes++
			busy += e.Duration
		}
	}
	if writes > 0 {
		r.serverTime = busy / time.Duration(writes)
	}
	return nil
}
