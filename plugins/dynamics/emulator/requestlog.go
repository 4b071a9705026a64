package emulator

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// LogEntry is one request in the request log. Requests inside a $batch get their own entries (InBatch), after
// the entry of the $batch itself.
type LogEntry struct {
	Seq       int64         `json:"seq"`
	Time      time.Time     `json:"time"`
	Method    string        `json:"method"`
	Path      string        `json:"path"`
	Status    int           `json:"status"`
	Duration  time.Duration `json:"duration_ns"`
	Records   int           `json:"records"`
	Write     bool          `json:"write,omitempty"`
	Operation string        `json:"operation,omitempty"`
	User      string        `json:"user,omitempty"`
	ClientID  string        `json:"client_id,omitempty"`
	InBatch   bool          `json:"in_batch,omitempty"`
	Throttled bool          `json:"throttled,omitempty"`
	Fault     string        `json:"fault,omitempty"`
	Error     string        `json:"error_code,omitempty"`
}

// requestLog keeps the most recent entries in memory and optionally streams every entry as a JSON line.
type requestLog struct {
	mu      sync.Mutex
	max     int
	entries []LogEntry
	seq     int64
	out     *json.Encoder
}

func newRequestLog(max int, w io.Writer) *requestLog {
	if max <= 0 {
		max = 100_000
	}
	rl := &requestLog{max: max}
	if w != nil {
		rl.out = json.NewEncoder(w)
	}
	return rl
}

func (rl *requestLog) add(e *LogEntry) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.seq++
	e.Seq = rl.seq
	if len(rl.entries) >= rl.max {
		n := copy(rl.entries, rl.entries[len(rl.entries)-rl.max/2:])
		rl.entries = rl.entries[:n]
	}
	rl.entries = append(rl.entries, *e)
	if rl.out != nil {
		_ = rl.out.Encode(e)
	}
}

func (rl *requestLog) snapshot(since int64) []LogEntry {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	var out []LogEntry
	for _, e := range rl.entries {
		if e.Seq > since {
			out = append(out, e)
		}
	}
	return out
}

func (rl *requestLog) clear() {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.entries = nil
}

// logInner adds the entries of the requests inside a $batch.
func (s *Server) logInner(resp *apiResponse, user *appUser) {
	for _, in := range resp.inner {
		e := &LogEntry{Time: time.Now(), Method: in.method, Path: in.path, Status: in.resp.status, Duration: in.dur,
			Records: in.resp.records, Write: in.resp.write, Operation: in.resp.op, User: user.Name, ClientID: user.ClientID, InBatch: true}
		if in.resp.err != nil {
			e.Error = in.resp.err.Code
		}
		s.reqLog.add(e)
	}
}

// RequestLog returns the logged requests (the most recent ones, up to Options.RequestLogSize).
func (s *Server) RequestLog() []LogEntry { return s.reqLog.snapshot(0) }

// ResetRequestLog forgets the logged requests.
func (s *Server) ResetRequestLog() { s.reqLog.clear() }
