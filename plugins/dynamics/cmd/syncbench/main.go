// Command syncbench measures a change-only sync into the Dataverse
// emulator: a segment CSV of --rows rows (cmd/segmentgen's data) synced
// into contacts with a sync block, then the same segment with --changed of
// its rows changed, then once more unchanged. It reports, as medians over
// --runs, each run's time and the requests it sent, what a sync run costs
// when nothing is written (reading, hashing, comparing with the snapshot),
// against reading alone, and how long the snapshot takes to load and how
// much memory it holds.
//
//	go build -o /tmp/sluice ./cmd/sluice
//	go run ./plugins/dynamics/cmd/syncbench --sluice /tmp/sluice --rows 1000000 --runs 3
//
// The emulator runs in its own process, with its limits off and no
// simulated cost: the figures are Sluice's. The pipelines run in this
// process, through the engine; --cpuprofile writes a CPU profile of the
// run with the changes.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/plugins/builtin"
)

func main() {
	sluice := flag.String("sluice", "", "the sluice binary that runs the emulator (required)")
	rows := flag.Int("rows", 1_000_000, "rows in the segment")
	changed := flag.Float64("changed", 0.01, "share of rows changed for the second run")
	runs := flag.Int("runs", 3, "runs; medians are reported")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run with the changes to this file")
	dir := flag.String("dir", "", "working directory for the segments (default: a temporary one)")
	flag.Parse()
	if *sluice == "" {
		fmt.Fprintln(os.Stderr, "syncbench: --sluice is required")
		os.Exit(2)
	}
	if err := run(*sluice, *rows, *changed, *runs, *cpuprofile, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

// pipeline syncs the segment into contacts. Rows without an email cannot
// address a record and are filtered out; the key normalises the email, so
// rows whose emails differ only in case address one record.
const pipeline = `
variable "segment" {}
variable "dir" {}
source "csv" "segment" {
  path        = var.segment
  null_values = [""]
}
transform "filter" "addressable" {
  input = source.segment
  where = "email != nil"
}
sink "dynamics" "contacts" {
  input = transform.addressable
  url   = env("DATAVERSE_URL")
  auth {
    tenant_id     = env("DATAVERSE_TENANT_ID")
    client_id     = env("DATAVERSE_CLIENT_ID")
    client_secret = env("DATAVERSE_CLIENT_SECRET")
    authority     = env("DATAVERSE_AUTHORITY")
    ca_file       = env("DATAVERSE_CA_FILE")
  }
  table = "contact"
  key   = { emailaddress1 = "lower(trim(email))" }
  mapping {
    firstname        = "first_name"
    lastname         = "last_name ?? 'Unknown'"
    telephone1       = "phone"
    address1_city    = "city"
    address1_country = "country"
    creditlimit      = "lifetime_value"
  }
  sync { mode = "changes" }
  rejects = sink.rejects
}
sink "jsonl" "rejects" { path = "${var.dir}/rejects.jsonl" }
`

// readOnly reads the same segment and drops every row: what reading costs.
const readOnly = `
variable "segment" {}
variable "dir" {}
source "csv" "segment" {
  path        = var.segment
  null_values = [""]
}
transform "filter" "none" {
  input = source.segment
  where = "(email ?? '') == 'nobody'"
}
sink "jsonl" "out" {
  input = transform.none
  path  = "${var.dir}/none.jsonl"
}
`

type measure struct {
	elapsed, cpu           time.Duration
	requests, writes       int
	records                int
	sent, unchanged, rejct int64
}

func run(sluice string, rows int, share float64, runs int, cpuprofile, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "syncbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	base, changed := filepath.Join(dir, fmt.Sprintf("segment-%d.csv", rows)), filepath.Join(dir, fmt.Sprintf("segment-%d-changed.csv", rows))
	if err := generate(base, changed, rows, share); err != nil {
		return err
	}
	emu, stop, err := startEmulator(sluice, dir)
	if err != nil {
		return err
	}
	defer stop()
	for k, v := range emu.env {
		os.Setenv(k, v)
	}

	var first, second, third, reading []measure
	var loads []time.Duration
	var heaps []uint64
	var snapRows int
	for r := range runs {
		if err := emu.post("reset"); err != nil {
			return err
		}
		work := filepath.Join(dir, fmt.Sprintf("run-%d", r))
		os.RemoveAll(work)
		os.MkdirAll(work, 0o755)
		path := filepath.Join(work, "sync.hcl")
		os.WriteFile(path, []byte(pipeline), 0o644)
		readPath := filepath.Join(work, "read.hcl")
		os.WriteFile(readPath, []byte(readOnly), 0o644)

		m, err := runOnce(emu, path, base, "")
		if err != nil {
			return fmt.Errorf("first run: %w", err)
		}
		first = append(first, m)
		prof := ""
		if r == 0 {
			prof = cpuprofile
		}
		if m, err = runOnce(emu, path, changed, prof); err != nil {
			return fmt.Errorf("run with changes: %w", err)
		}
		second = append(second, m)
		if m, err = runOnce(emu, path, changed, ""); err != nil {
			return fmt.Errorf("unchanged run: %w", err)
		}
		third = append(third, m)
		if m, err = runOnce(emu, readPath, changed, ""); err != nil {
			return fmt.Errorf("read-only run: %w", err)
		}
		reading = append(reading, m)

		load, heap, n, err := snapshotLoad(filepath.Join(work, ".sluice", "sync.db"))
		if err != nil {
			return err
		}
		loads, heaps, snapRows = append(loads, load), append(heaps, heap), n
		fmt.Fprintf(os.Stderr, "run %d: first %s/%s CPU (%d writes), changed %s/%s (%d writes), unchanged %s/%s, read only %s/%s, snapshot load %s\n",
			r+1, first[r].elapsed.Round(time.Millisecond), first[r].cpu.Round(time.Millisecond), first[r].records,
			second[r].elapsed.Round(time.Millisecond), second[r].cpu.Round(time.Millisecond), second[r].records,
			third[r].elapsed.Round(time.Millisecond), third[r].cpu.Round(time.Millisecond),
			reading[r].elapsed.Round(time.Millisecond), reading[r].cpu.Round(time.Millisecond), load.Round(time.Millisecond))
	}

	fmt.Printf("%d rows, %.1f%% changed, %d runs (medians); GOMAXPROCS %d\n\n", rows, share*100, runs, runtime.GOMAXPROCS(0))
	fmt.Println("| run | time | CPU | rows sent | unchanged | rejected | requests | write requests | records written |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range []struct {
		name string
		ms   []measure
	}{{"first (empty snapshot)", first}, {fmt.Sprintf("second (%.0f%% changed)", share*100), second}, {"third (unchanged)", third}, {"read only (no sink work)", reading}} {
		m := medianMeasure(row.ms)
		fmt.Printf("| %s | %s | %s | %d | %d | %d | %d | %d | %d |\n", row.name, m.elapsed.Round(time.Millisecond), m.cpu.Round(time.Millisecond),
			m.sent, m.unchanged, m.rejct, m.requests, m.writes, m.records)
	}
	fmt.Printf("\nsnapshot: %d rows; loading it from the state file takes %s and holds %.1f MiB of heap\n",
		snapRows, median(loads).Round(time.Millisecond), float64(median(heaps))/(1<<20))
	return nil
}

// runOnce runs a pipeline on a segment and reads what reached the emulator.
func runOnce(emu *emulator, path, segment, cpuprofile string) (measure, error) {
	seq, err := emu.lastSeq()
	if err != nil {
		return measure{}, err
	}
	eng, err := engine.New(engine.WithPlugins(builtin.Plugins()...), engine.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return measure{}, err
	}
	p, err := eng.Load(path, engine.Inputs{Vars: []string{"segment=" + segment, "dir=" + filepath.Dir(path)}, LookupEnv: os.LookupEnv})
	if err != nil {
		return measure{}, err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return measure{}, err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	runtime.GC()
	start, cpuStart := time.Now(), cpuTime()
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	m := measure{elapsed: time.Since(start), cpu: cpuTime() - cpuStart}
	if err != nil {
		return m, err
	}
	for _, n := range stats.Nodes {
		if n.Address == "sink.contacts" {
			m.sent, m.unchanged, m.rejct = n.Out-n.Unchanged, n.Unchanged, n.Rejected
		}
	}
	entries, err := emu.log(seq)
	if err != nil {
		return m, err
	}
	for _, e := range entries {
		if !e.InBatch {
			m.requests++
			if e.Write {
				m.writes++
			}
		}
		if e.Write && e.Operation != "batch" && e.Status < 400 {
			m.records += e.Records
		}
	}
	return m, nil
}

// cpuTime is the CPU time this process has used: the engine's and the
// sink's work, not the emulator's, which runs in its own process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// snapshotLoad times reading the sink's snapshot from the state file, as a
// run does first, and measures the heap it holds.
func snapshotLoad(path string) (time.Duration, uint64, int, error) {
	store, err := state.OpenFile(path, "sync")
	if err != nil {
		return 0, 0, 0, err
	}
	defer store.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	snap, err := store.Snapshot(context.Background(), "sink.contacts")
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, 0, err
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := len(snap.Rows)
	runtime.KeepAlive(snap)
	return elapsed, after.HeapAlloc - before.HeapAlloc, n, nil
}

// generate writes the segment, and a copy with every 1/share-th row's city
// changed.
func generate(base, changed string, rows int, share float64) error {
	if _, err := os.Stat(base); err != nil {
		f, err := os.Create(base)
		if err != nil {
			return err
		}
		if err := segment.Write(f, segment.Options{Rows: rows, Seed: 1}); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	in, err := os.Open(base)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(changed)
	if err != nil {
		return err
	}
	r := csv.NewReader(bufio.NewReaderSize(in, 1<<20))
	bw := bufio.NewWriterSize(out, 1<<20)
	w := csv.NewWriter(bw)
	every := int(1 / share)
	city := slices.Index(segment.Header, "city")
	for i := -1; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if i >= 0 && i%every == 0 {
			rec[city] = "Changed " + rec[city]
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// emulator is `sluice emulator dynamics` in its own process.
type emulator struct {
	env    map[string]string
	url    string
	client *http.Client
}

func startEmulator(sluice, dir string) (*emulator, func(), error) {
	envFile := filepath.Join(dir, "dataverse.env")
	os.Remove(envFile)
	cmd := exec.Command(sluice, "emulator", "dynamics", "--tls", "--addr", "127.0.0.1:0", "--limits", "off", "--env-file", envFile)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	e := &emulator{env: map[string]string{}}
	for deadline := time.Now().Add(30 * time.Second); len(e.env) < 6; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("the emulator wrote no %s", envFile)
		}
		data, err := os.ReadFile(envFile)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			if ok && k != "DATAVERSE_TOKEN" {
				e.env[k] = strings.Trim(v, `'"`)
			}
		}
	}
	e.url = e.env["DATAVERSE_URL"]
	pem, err := os.ReadFile(e.env["DATAVERSE_CA_FILE"])
	if err != nil {
		stop()
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	e.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return e, stop, nil
}

func (e *emulator) post(path string) error {
	resp, err := e.client.Post(e.url+"/_emulator/"+path, "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST /_emulator/%s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

type logEntry struct {
	Seq       int64  `json:"seq"`
	Status    int    `json:"status"`
	Records   int    `json:"records"`
	Write     bool   `json:"write"`
	Operation string `json:"operation"`
	InBatch   bool   `json:"in_batch"`
}

func (e *emulator) log(since int64) ([]logEntry, error) {
	resp, err := e.client.Get(fmt.Sprintf("%s/_emulator/log?since=%d", e.url, since))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []logEntry
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func (e *emulator) lastSeq() (int64, error) {
	entries, err := e.log(0)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	return entries[len(entries)-1].Seq, nil
}

func medianMeasure(ms []measure) measure {
	out := ms[0]
	var times, cpus []time.Duration
	for _, m := range ms {
		times, cpus = append(times, m.elapsed), append(cpus, m.cpu)
	}
	out.elapsed, out.cpu = median(times), median(cpus)
	return out
}

func median[T int64 | uint64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
