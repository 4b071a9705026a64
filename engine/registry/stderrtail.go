package registry

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// stderrTail keeps the last lines a plugin process wrote to stderr that
// are not JSON log lines. go-plugin logs such lines at debug level, where
// a user does not see them, but a plugin that fails before the handshake
// (a missing setting, a library that will not load) says why there and
// nowhere else; Launch puts them in its error. JSON lines are left out:
// they are the plugin's log, which reaches the engine's log at its level.
type stderrTail struct {
	mu    sync.Mutex
	part  []byte
	lines []string
}

const (
	tailLines     = 10
	tailLineBytes = 500
)

func (t *stderrTail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if room := tailLineBytes - len(t.part); room > 0 {
				t.part = append(t.part, b[:min(room, len(b))]...)
			}
			break
		}
		if room := tailLineBytes - len(t.part); room > 0 {
			t.part = append(t.part, b[:min(room, i)]...)
		}
		t.line(string(t.part))
		t.part = t.part[:0]
		b = b[i+1:]
	}
	return n, nil
}

func (t *stderrTail) line(s string) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "{") && json.Valid([]byte(s)) {
		return
	}
	t.lines = append(t.lines, s)
	if len(t.lines) > tailLines {
		t.lines = t.lines[1:]
	}
}

// suffix is the lines kept, as the end of an error message, or "".
func (t *stderrTail) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return ""
	}
	return "\nThe plugin's last output on stderr:\n  " + strings.Join(t.lines, "\n  ")
}
