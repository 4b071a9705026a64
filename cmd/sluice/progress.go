package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/sdk"
)

// progress shows a running pipeline: on a terminal, a table of nodes redrawn
// in place on stderr; elsewhere, a plain log line now and then.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	live   bool
	quiet  bool
	lines  int
	prev   engine.Stats
	prevAt time.Time
}

func newProgress(w io.Writer, live, quiet bool) *progress {
	return &progress{w: w, live: live, quiet: quiet}
}

func (p *progress) interval() time.Duration {
	if p.live {
		return 250 * time.Millisecond
	}
	return 10 * time.Second
}

func (p *progress) update(s engine.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	now := time.Now()
	rate := func(n engine.NodeStats) float64 {
		prev, ok := p.prev.Node(n.Address)
		dt := now.Sub(p.prevAt).Seconds()
		if !ok || dt <= 0 {
			return float64(n.In) / max(s.Elapsed.Seconds(), 1e-9)
		}
		return float64(n.In-prev.In) / dt
	}
	if p.live {
		p.clear()
		var b strings.Builder
		fmt.Fprintf(&b, "running for %s\n", s.Elapsed.Round(100*time.Millisecond))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, n := range s.Nodes {
			fmt.Fprintf(tw, "  %s\t%s rows\t%s/s\t%s\t\n", n.Address, count(n.In), count(int64(rate(n))), rejectedNote(n))
		}
		tw.Flush()
		out := b.String()
		p.lines = strings.Count(out, "\n")
		io.WriteString(p.w, out)
	} else {
		var parts []string
		for _, n := range s.Nodes {
			parts = append(parts, fmt.Sprintf("%s=%s (%s/s)", n.Address, count(n.In), count(int64(rate(n)))))
		}
		fmt.Fprintf(p.w, "progress elapsed=%s %s\n", s.Elapsed.Round(time.Second), strings.Join(parts, " "))
	}
	p.prev, p.prevAt = s, now
}

// clear erases the live table drawn last.
func (p *progress) clear() {
	for range p.lines {
		io.WriteString(p.w, "\x1b[1A\x1b[2K")
	}
	p.lines = 0
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		p.clear()
	}
	p.quiet = true
}

func rejectedNote(n engine.NodeStats) string {
	if n.Rejected == 0 {
		return ""
	}
	return count(n.Rejected) + " rejected"
}

// writeSummary prints the table every run ends with.
func writeSummary(w io.Writer, s engine.Stats) {
	var read, written, rejected int64
	for _, n := range s.Nodes {
		switch n.Kind {
		case sdk.KindSource:
			read += n.In
		case sdk.KindSink:
			if !n.Rejects {
				written += n.Out
			}
		}
		if !n.Rejects {
			rejected += n.Rejected
		}
	}
	verb := map[engine.Status]string{
		engine.StatusSucceeded: "Run succeeded", engine.StatusFailed: "Run failed", engine.StatusInterrupted: "Run interrupted",
	}[s.Status]
	fmt.Fprintf(w, "\n%s in %s: %s rows read, %s written, %s rejected.\n\n", verb, s.Elapsed.Round(time.Millisecond),
		count(read), count(written), count(rejected))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "node\tin\tout\tfiltered\tdeduplicated\trejected\trows/s\t")
	secs := max(s.Elapsed.Seconds(), 1e-9)
	for _, n := range s.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", n.Address, count(n.In), count(n.Out),
			dash(n.Filtered), dash(n.Deduplicated), dash(n.Rejected), count(int64(float64(n.In)/secs)))
	}
	tw.Flush()
	for _, n := range s.Nodes {
		var notes []string
		for _, o := range []struct {
			name string
			n    int64
		}{{"created", n.Created}, {"updated", n.Updated}, {"unchanged", n.Unchanged}, {"deleted", n.Deleted}, {"retried", n.Retried}, {"left the input and acted on", n.Left}} {
			if o.n > 0 {
				notes = append(notes, fmt.Sprintf("%s %s", count(o.n), o.name))
			}
		}
		if n.MemoryPeak > 0 {
			notes = append(notes, fmt.Sprintf("held up to %s in memory", bytesString(n.MemoryPeak)))
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "  %s: %s\n", n.Address, strings.Join(notes, ", "))
		}
	}
	if s.Error != "" {
		fmt.Fprintf(w, "\nError: %s\n", s.Error)
	}
}

func dash(n int64) string {
	if n == 0 {
		return "-"
	}
	return count(n)
}

// count formats n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// summaryJSON is the machine-readable summary of `run --json`.
func summaryJSON(s engine.Stats) any {
	return struct {
		Status         engine.Status      `json:"status"`
		Started        time.Time          `json:"started"`
		ElapsedSeconds float64            `json:"elapsed_seconds"`
		Nodes          []engine.NodeStats `json:"nodes"`
		Error          string             `json:"error,omitempty"`
	}{s.Status, s.Started, s.Elapsed.Seconds(), s.Nodes, s.Error}
}
