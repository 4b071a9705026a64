package registry

import (
	"fmt"
	"strings"
	"testing"
)

// The tail keeps the last lines, joined across writes as go-plugin makes
// them (the line, then its newline), without JSON log lines, each cut to
// a bounded length.
func TestStderrTail(t *testing.T) {
	var tail stderrTail
	if got := tail.suffix(); got != "" {
		t.Fatalf("an empty tail says %q", got)
	}
	for i := range tailLines + 2 {
		fmt.Fprintf(&tail, "line %d", i)
		tail.Write([]byte("\n"))
	}
	tail.Write([]byte(`{"@level":"info","@message":"logged"}` + "\n\n"))
	tail.Write([]byte(strings.Repeat("x", 2*tailLineBytes) + "\n"))
	got := tail.suffix()
	lines := strings.Split(strings.TrimPrefix(got, "\nThe plugin's last output on stderr:\n"), "\n")
	if len(lines) != tailLines {
		t.Fatalf("kept %d lines, want %d:\n%s", len(lines), tailLines, got)
	}
	if lines[0] != "  line 3" || lines[tailLines-2] != fmt.Sprintf("  line %d", tailLines+1) {
		t.Errorf("kept the wrong lines:\n%s", got)
	}
	if last := lines[tailLines-1]; last != "  "+strings.Repeat("x", tailLineBytes) {
		t.Errorf("the long line was kept as %d bytes, want %d", len(last)-2, tailLineBytes)
	}
	if strings.Contains(got, "logged") {
		t.Errorf("kept a JSON log line:\n%s", got)
	}
}
