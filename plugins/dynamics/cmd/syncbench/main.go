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
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/sluicedata/sluice/cmd/segmentgen/segment"
	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/plugins/builtin"
	"github.com/sluicedata/sluice/plugins/dynamics/internal/benchkit"
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
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	base, changed := filepath.Join(dir, fmt.Sprintf("segment-%d.csv", rows)), filepath.Join(dir, fmt.Sprintf("segment-%d-changed.csv", rows))
	if err := generate(base, changed, rows, share); err != nil {
		return err
	}
	emu, err := benchkit.StartEmulator(sluice, "--limits", "off")
	if err != nil {
		return err
	}
	defer emu.Stop()

	var first, second, third, reading []measure
	var loads []time.Duration
	var heaps []uint64
	var snapRows int
	for r := range runs {
		if err := emu.Reset(); err != nil {
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
		snapRows, benchkit.Median(loads).Round(time.Millisecond), float64(benchkit.Median(heaps))/(1<<20))
	return nil
}

// runOnce runs a pipeline on a segment and reads what reached the emulator.
func runOnce(emu *benchkit.Emulator, path, segment, cpuprofile string) (measure, error) {
	seq, err := lastSeq(emu)
	if err != nil {
		return measure{}, err
	}
	eng, err := engine.New(engine.WithPlugins(builtin.Plugins()...), engine.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return measure{}, fmt.Errorf("make the engine: %w", err)
	}
	p, err := eng.Load(path, engine.Inputs{Vars: []string{"segment=" + segment, "dir=" + filepath.Dir(path)}, LookupEnv: emu.LookupEnv})
	if err != nil {
		return measure{}, fmt.Errorf("load %s: %w", path, err)
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
	run, err := benchkit.Measure(context.Background(), p)
	m := measure{elapsed: run.Wall, cpu: run.CPU}
	if err != nil {
		return m, err
	}
	if n, ok := run.Stats.Node(benchkit.ContactsSink); ok {
		m.sent, m.unchanged, m.rejct = n.Out-n.Unchanged, n.Unchanged, n.Rejected
	}
	entries, err := emu.Log(seq)
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

// lastSeq is the number of the emulator's last request so far, so that a
// run's requests can be read apart.
func lastSeq(emu *benchkit.Emulator) (int64, error) {
	entries, err := emu.Log(0)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	return entries[len(entries)-1].Seq, nil
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

func medianMeasure(ms []measure) measure {
	out := ms[0]
	var times, cpus []time.Duration
	for _, m := range ms {
		times, cpus = append(times, m.elapsed), append(cpus, m.cpu)
	}
	out.elapsed, out.cpu = benchkit.Median(times), benchkit.Median(cpus)
	return out
}
