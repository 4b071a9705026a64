// Package testhost gives plugin tests what the engine lends a plugin: a
// logger, and a checked allocator that fails the test if any Arrow memory
// is still held when the test ends.
package testhost

import (
	"log/slog"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Host implements sdk.Host for tests.
type Host struct {
	Mem *memory.CheckedAllocator
	// IsOffline is what Offline reports.
	IsOffline bool
	log       *slog.Logger
}

// New returns a host whose allocator is checked for leaks when t ends.
func New(t testing.TB) *Host {
	h := &Host{Mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), log: slog.New(slog.DiscardHandler)}
	t.Cleanup(func() { h.Mem.AssertSize(t, 0) })
	return h
}

func (h *Host) Logger() *slog.Logger        { return h.log }
func (h *Host) Allocator() memory.Allocator { return h.Mem }
func (h *Host) Offline() bool               { return h.IsOffline }
