// Package testhost provides the sdk.Host that plugin tests open plugins
// with: its allocator is arrow's checked allocator, and the test fails if any
// Arrow memory is still allocated when it ends, so every test is also a leak
// test of the ownership rule in package sdk.
package testhost

import (
	"log/slog"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Host is an sdk.Host for tests.
type Host struct {
	Mem       *memory.CheckedAllocator
	Log       *slog.Logger
	IsOffline bool
}

// New returns a Host whose allocator is checked for leaks when t ends.
func New(t testing.TB) *Host {
	t.Helper()
	h := &Host{
		Mem: memory.NewCheckedAllocator(memory.NewGoAllocator()),
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	t.Cleanup(func() { h.Mem.AssertSize(t, 0) })
	return h
}

// Logger implements sdk.Host.
func (h *Host) Logger() *slog.Logger { return h.Log }

// Allocator implements sdk.Host.
func (h *Host) Allocator() memory.Allocator { return h.Mem }

// Offline implements sdk.Host.
func (h *Host) Offline() bool { return h.IsOffline }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
