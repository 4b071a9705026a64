package registry

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// go-plugin's messages and a plugin's log lines reach the engine's log
// with each attribute once: the block's label as plugin, the binary as
// path, the plugin a process serves, when it is another, as served; and
// the exit of every run at DEBUG.
func TestHCLoggerAttributesAreDistinct(t *testing.T) {
	var buf bytes.Buffer
	engineLog := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level:       slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return dropTime(a) },
	}))
	h := newHCLogger(engineLog.With(slog.String("plugin", "textcase")), "textcase")
	stderr := h.Named("sluice-plugin-textcase")

	// What go-plugin v1.8 says, and how it forwards a plugin's JSON lines.
	h.Debug("waiting for RPC address", "plugin", "bin/sluice-plugin-textcase")
	h.Info("plugin process exited", "plugin", "bin/sluice-plugin-textcase", "id", 42)
	h.Error("plugin process exited", "plugin", "bin/sluice-plugin-textcase", "id", 42, "error", "exit status 2")
	stderr.Warn("slow batch", "plugin", "textcase", "instance", 1, "timestamp", "t")
	stderr.Warn("slow batch", "plugin", "upper", "instance", 2, "timestamp", "t")
	h.With("plugin", "bin/x").Info("scoped")

	want := []string{
		`level=DEBUG msg="waiting for RPC address" plugin=textcase path=bin/sluice-plugin-textcase`,
		`level=DEBUG msg="plugin process exited" plugin=textcase path=bin/sluice-plugin-textcase id=42`,
		`level=ERROR msg="plugin process exited" plugin=textcase path=bin/sluice-plugin-textcase id=42 error="exit status 2"`,
		`level=WARN msg="slow batch" plugin=textcase instance=1 timestamp=t`,
		`level=WARN msg="slow batch" plugin=textcase served=upper instance=2 timestamp=t`,
		`level=INFO msg=scoped plugin=textcase path=bin/x`,
	}
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\ngot  %s\nwant %s", i, got[i], want[i])
		}
	}
}

func dropTime(a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
