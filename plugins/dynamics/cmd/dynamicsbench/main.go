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
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/plugins/dynamics"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
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
	written    int64
}

func run(sluice string, rows, runs, batch int, limits, cost string, verbose bool) error {
	dir, err := os.MkdirTemp("", "dynamicsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	envFile := filepath.Join(dir, "env")
	emu := exec.Command(sluice, "emulator", "dynamics", "--tls", "--addr", "127.0.0.1:0", "--env-file", envFile, "--limits", limits, "--cost", cost)
	emu.Stdout, emu.Stderr = io.Discard, os.Stderr
	if err := emu.Start(); err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer func() {
		_ = emu.Process.Signal(os.Interrupt)
		_ = emu.Wait()
	}()
	env, err := waitForEnv(envFile)
	if err != nil {
		return err
	}

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
	var results []result
	for i := range runs {
		if err := post(env["DATAVERSE_URL"]+"/_emulator/reset", env["DATAVERSE_CA_FILE"]); err != nil {
			return err
		}
		r, err := runOnce(env, input, batch, verbose)
		if err != nil {
			return err
		}
		if r.written != int64(rows) {
			return fmt.Errorf("run %d wrote %d of %d rows", i+1, r.written, rows)
		}
		if err := countRequests(env, &r); err != nil {
			return err
		}
		results = append(results, r)
		rps := float64(rows) / r.wall.Seconds()
		fmt.Printf("%-4d %9.2f %12.0f %9d %6d %7.1f%% %10.2f %8.3f %10.3f\n", i+1, r.wall.Seconds(), rps, r.requests, r.throttled,
			100*rps/ceilingRPS, r.cpu.Seconds(), r.cpu.Seconds()/r.wall.Seconds(), r.serverTime.Seconds())
	}
	med := func(f func(result) float64) float64 {
		vals := make([]float64, len(results))
		for i, r := range results {
			vals[i] = f(r)
		}
		slices.Sort(vals)
		return vals[len(vals)/2]
	}
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

func runOnce(env map[string]string, input []arrow.RecordBatch, batch int, verbose bool) (result, error) {
	store := memplugin.NewStore()
	defer store.Clear()
	store.Put("in", input[0].Schema(), input...)
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	eng, err := engine.New(engine.WithPlugins(append(store.Plugins(), dynamics.Plugin)...),
		engine.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))))
	if err != nil {
		return result{}, err
	}
	src := fmt.Sprintf(`
source "memory" "in" { table = "in" }
sink "dynamics" "contacts" {
  input = source.in
  url   = %q
  auth {
    tenant_id     = %q
    client_id     = %q
    client_secret = %q
    authority     = %q
    ca_file       = %q
  }
  batch { rows = %d }
%s
}
`, env["DATAVERSE_URL"], env["DATAVERSE_TENANT_ID"], env["DATAVERSE_CLIENT_ID"], env["DATAVERSE_CLIENT_SECRET"],
		env["DATAVERSE_AUTHORITY"], env["DATAVERSE_CA_FILE"], batch, sinkBody)
	p, err := eng.Parse(map[string][]byte{"bench.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return result{}, err
	}
	cpu0 := cpuTime()
	start := time.Now()
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	wall := time.Since(start)
	cpu := cpuTime() - cpu0
	if err != nil {
		return result{}, err
	}
	n, _ := stats.Node("sink.contacts")
	return result{wall: wall, cpu: cpu, written: n.Out}, nil
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countRequests reads the emulator's request log.
func countRequests(env map[string]string, r *result) error {
	body, err := get(env["DATAVERSE_URL"]+"/_emulator/log", env["DATAVERSE_CA_FILE"])
	if err != nil {
		return err
	}
	var entries []struct {
		Status   int           `json:"status"`
		InBatch  bool          `json:"in_batch"`
		Write    bool          `json:"write"`
		Time     time.Time     `json:"time"`
		Duration time.Duration `json:"duration_ns"`
	}
	if err := json.Unmarshal(body, &entries); err != nil {
		return fmt.Errorf("reading the request log: %w", err)
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

func waitForEnv(path string) (map[string]string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		f, err := os.Open(path)
		if err == nil {
			env := map[string]string{}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
				if ok {
					env[k] = strings.Trim(v, "'")
				}
			}
			f.Close()
			if env["DATAVERSE_CA_FILE"] != "" {
				return env, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("the emulator did not write %s within 30 s", path)
}

func inspectionClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, Timeout: time.Minute}, nil
}

func get(url, caFile string) ([]byte, error) {
	c, err := inspectionClient(caFile)
	if err != nil {
		return nil, err
	}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func post(url, caFile string) error {
	c, err := inspectionClient(caFile)
	if err != nil {
		return err
	}
	resp, err := c.Post(url, "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}
