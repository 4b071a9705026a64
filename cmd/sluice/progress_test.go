package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/sdk"
)

func progressStats(elapsed time.Duration, in int64) engine.Stats {
	return engine.Stats{Elapsed: elapsed, Nodes: []engine.NodeStats{
		{Address: "source.segment", Kind: sdk.KindSource, In: in, Out: in},
		{Address: "sink.out", Kind: sdk.KindSink, In: in, Out: in - 3, Rejected: 3},
	}}
}

// TestProgressOnATerminalIsRedrawnInPlace: on a terminal the progress is a
// table of nodes, their rows and rates, redrawn over itself and erased at the
// end, so that only the summary stays.
func TestProgressOnATerminalIsRedrawnInPlace(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, true, false)
	p.update(progressStats(2*time.Second, 20_000))
	first := b.String()
	for _, want := range []string{"running for 2s\n", "source.segment", "20,000 rows", "10,000/s", "3 rejected"} {
		if !strings.Contains(first, want) {
			t.Errorf("no %q in the progress table:\n%s", want, first)
		}
	}
	if strings.Contains(first, "\x1b[") {
		t.Errorf("the first table erased lines above it: %q", first)
	}
	lines := strings.Count(first, "\n")
	p.update(progressStats(3*time.Second, 50_000))
	second := strings.TrimPrefix(b.String(), first)
	erase := strings.Repeat("\x1b[1A\x1b[2K", lines)
	if !strings.HasPrefix(second, erase) || !strings.Contains(second, "running for 3s") || !strings.Contains(second, "50,000 rows") {
		t.Errorf("the second table is not drawn over the first (%d lines): %q", lines, second)
	}
	p.done()
	if end := strings.TrimPrefix(b.String(), first+second); end != erase {
		t.Errorf("done left %q, want the table erased", end)
	}
	p.update(progressStats(4*time.Second, 60_000))
	if strings.Contains(b.String(), "60,000") {
		t.Error("progress drawn after done")
	}
}

// TestProgressElsewhereIsLogLines: when stderr is not a terminal, progress is
// a plain line now and then, with no terminal escapes.
func TestProgressElsewhereIsLogLines(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, false, false)
	if p.interval() < time.Second {
		t.Errorf("a log line every %s", p.interval())
	}
	p.update(progressStats(10*time.Second, 20_000))
	p.update(progressStats(20*time.Second, 40_000))
	p.done()
	got := b.String()
	if strings.Contains(got, "\x1b") || strings.Count(got, "\n") != 2 {
		t.Errorf("want two plain lines:\n%q", got)
	}
	if !strings.HasPrefix(got, "progress elapsed=10s source.segment=20,000 (2,000/s) sink.out=20,000 (2,000/s)\n") {
		t.Errorf("first line: %q", got)
	}
	if !strings.Contains(got, "progress elapsed=20s source.segment=40,000") {
		t.Errorf("second line: %q", got)
	}

	b.Reset()
	q := newProgress(&b, false, true)
	q.update(progressStats(time.Second, 1))
	if b.Len() != 0 {
		t.Errorf("--quiet printed progress: %q", b.String())
	}
}
