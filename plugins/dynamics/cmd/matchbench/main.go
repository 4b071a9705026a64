// Command matchbench measures the Dynamics sink's match block: rows matched
// against the records of a CRM by ordered rules, merged, and written, with
// the Dataverse emulator in another process at zero simulated cost, under
// its default service protection limits. It reports wall time, rows per
// second, requests (lookups and writes apart), 429s, and the CPU the sink's
// process used.
//
//	go build -o /tmp/sluice ./cmd/sluice
//	go run ./plugins/dynamics/cmd/matchbench --sluice /tmp/sluice --rows 100000 --runs 3
//
// Run it from the repository root: the emulator reads
// testdata/matching/tables.hcl, which gives contacts an external id.
//
// The CRM holds --rows contacts, each with an external id and an email. Of
// the input rows, half carry the external id of a contact (found by the
// first rule), four in ten only its email (found by the second), one in
// ten is a new person (created); a third of the found rows change their
// job title, the others are unchanged and send nothing.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/benchkit"
)

func main() {
	sluice := flag.String("sluice", "", "the sluice binary that runs the emulator (required)")
	rows := flag.Int("rows", 100_000, "rows to match, and contacts in the CRM")
	runs := flag.Int("runs", 3, "runs; medians are reported")
	batch := flag.Int("batch", 1000, "rows per batch (the sink's batch { rows })")
	verbose := flag.Bool("v", false, "log the sink's messages")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the sink's process to `file`")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "matchbench:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "matchbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *sluice == "" {
		fmt.Fprintln(os.Stderr, "matchbench: --sluice is required")
		os.Exit(2)
	}
	if err := run(*sluice, *rows, *runs, *batch, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "matchbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type result struct {
	wall, cpu                         time.Duration
	requests, lookups, writes, thrott int
	created, updated, unchanged       int64
}

func run(sluice string, rows, runs, batch int, verbose bool) error {
	emu, err := benchkit.StartEmulator(sluice, "--tables", "testdata/matching/tables.hcl")
	if err != nil {
		return err
	}
	defer emu.Stop()
	mem := memory.NewGoAllocator()
	input := buildInput(mem, rows)
	defer func() {
		for _, b := range input {
			b.Release()
		}
	}()
	fmt.Printf("%d rows against %d contacts, %d rows per batch, zero simulated cost, default limits\n\n", rows, rows, batch)
	fmt.Printf("%-4s %9s %10s %9s %8s %7s %6s %9s %8s %28s\n", "run", "wall (s)", "rows/s", "requests", "lookups", "writes", "429s", "CPU (s)", "cores", "created/updated/unchanged")
	logger := benchkit.Logger(verbose)
	var results []result
	for i := range runs {
		if err := seed(emu, rows); err != nil {
			return err
		}
		run, err := emu.RunFromMemory(input, batch, sinkBody, logger)
		if err != nil {
			return err
		}
		n, _ := run.Stats.Node(benchkit.ContactsSink)
		if n.Rejected > 0 || n.Out != n.In {
			return fmt.Errorf("the sink wrote %d of %d rows, rejected %d", n.Out, n.In, n.Rejected)
		}
		r := result{wall: run.Wall, cpu: run.CPU, created: n.Created, updated: n.Updated, unchanged: n.Unchanged}
		if err := countRequests(emu, &r); err != nil {
			return err
		}
		results = append(results, r)
		fmt.Printf("%-4d %9.2f %10.0f %9d %8d %7d %6d %9.2f %8.3f %28s\n", i+1, r.wall.Seconds(), float64(rows)/r.wall.Seconds(),
			r.requests, r.lookups, r.writes, r.thrott, r.cpu.Seconds(), r.cpu.Seconds()/r.wall.Seconds(),
			fmt.Sprintf("%d/%d/%d", r.created, r.updated, r.unchanged))
	}
	med := func(f func(result) float64) float64 { return benchkit.MedianOf(results, f) }
	fmt.Printf("%-4s %9.2f %10.0f %9.0f %8.0f %7.0f %6.0f %9.2f %8.3f\n", "med",
		med(func(r result) float64 { return r.wall.Seconds() }), med(func(r result) float64 { return float64(rows) / r.wall.Seconds() }),
		med(func(r result) float64 { return float64(r.requests) }), med(func(r result) float64 { return float64(r.lookups) }),
		med(func(r result) float64 { return float64(r.writes) }), med(func(r result) float64 { return float64(r.thrott) }),
		med(func(r result) float64 { return r.cpu.Seconds() }), med(func(r result) float64 { return r.cpu.Seconds() / r.wall.Seconds() }))
	return nil
}

// seed empties the emulator and inserts the CRM's contacts, then forgets
// the request log.
func seed(emu *benchkit.Emulator, rows int) error {
	if err := emu.Reset(); err != nil {
		return err
	}
	for start := 0; start < rows; start += 10_000 {
		var recs []map[string]any
		for i := start; i < min(start+10_000, rows); i++ {
			recs = append(recs, map[string]any{"sluice_externalid": fmt.Sprintf("EXT-%d", i), "emailaddress1": fmt.Sprintf("p%d@example.com", i),
				"firstname": fmt.Sprint("First", i%97), "lastname": fmt.Sprint("Last", i), "jobtitle": "Engineer", "telephone1": fmt.Sprintf("+44 20 %07d", i)})
		}
		body, err := json.Marshal(recs)
		if err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		if _, err := emu.Call(http.MethodPost, "tables/contact", body); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
	}
	if _, err := emu.Call(http.MethodDelete, "log", nil); err != nil {
		return fmt.Errorf("clear the request log after seeding: %w", err)
	}
	return nil
}

// buildInput builds the rows (see the package documentation).
func buildInput(mem memory.Allocator, rows int) []arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ext_id", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "email", Type: arrow.BinaryTypes.String},
		{Name: "first", Type: arrow.BinaryTypes.String}, {Name: "last", Type: arrow.BinaryTypes.String},
		{Name: "title", Type: arrow.BinaryTypes.String}, {Name: "phone", Type: arrow.BinaryTypes.String},
	}, nil)
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range rows {
		ext, email := fmt.Sprintf("EXT-%d", i), fmt.Sprintf("p%d@example.com", i)
		switch k := i % 10; {
		case k >= 5 && k < 9:
			ext = ""
		case k == 9:
			ext, email = "", fmt.Sprintf("new%d@example.com", i)
		}
		if ext == "" {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(ext)
		}
		title := "Engineer"
		if i%3 == 0 {
			title = "Manager"
		}
		b.Field(1).(*array.StringBuilder).Append(email)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprint("First", i%97))
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprint("Last", i))
		b.Field(4).(*array.StringBuilder).Append(title)
		b.Field(5).(*array.StringBuilder).Append(fmt.Sprintf("+44 20 %07d", i))
		if b.Field(0).Len() == 10_000 || i == rows-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

const sinkBody = `
  table = "contact"
  match {
    rule "external_id" {
      equals = { sluice_externalid = "ext_id" }
    }
    rule "email" {
      equals = { emailaddress1 = "lower(email)" }
    }
    on_multiple = "most_recently_modified"
  }
  mapping {
    sluice_externalid = "ext_id ?? ''"
    emailaddress1     = "lower(email)"
    firstname         = "first"
    lastname          = "last"
    jobtitle          = "title"
    telephone1        = "phone"
  }
`

// countRequests reads the emulator's request log: HTTP requests (a $batch
// is one), lookups (queries, inside a $batch too) and writes.
func countRequests(emu *benchkit.Emulator, r *result) error {
	entries, err := emu.Log(0)
	if err != nil {
		return err
	}
	byOp := map[string]time.Duration{}
	for _, e := range entries {
		byOp[e.Operation] += e.Duration
	}
	if os.Getenv("MATCHBENCH_OPS") != "" {
		fmt.Fprintln(os.Stderr, byOp)
	}
	for _, e := range entries {
		if !e.InBatch {
			r.requests++
			if e.Write {
				r.writes++
			}
		}
		if e.Operation == "query" {
			r.lookups++
		}
		if e.Status == http.StatusTooManyRequests {
			r.thrott++
		}
	}
	return nil
}
