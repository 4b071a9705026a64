package registry

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"slices"

	"github.com/hashicorp/go-hclog"
)

// hclogger is the hclog.Logger go-plugin logs to, writing to the engine's
// slog logger: go-plugin's own messages, and the plugin process's log lines,
// which it reads from the process's stderr at their level.
//
// The engine's logger already says plugin=<the plugin block's label>, and
// both sources of messages would say it again: go-plugin names the
// process's binary "plugin" (plugin=textcase plugin=bin/sluice-plugin-…),
// and a plugin's Host logger names the plugin it serves. So go-plugin's
// "plugin" becomes "path", and a plugin's own is dropped when it repeats
// the label, or else becomes "served": one key, one meaning.
type hclogger struct {
	l *slog.Logger
	// label is the plugin block's label, which l says as "plugin".
	label string
	// name is set, by go-plugin's Named, on the logger of the process's
	// stderr: the lines the plugin logged. go-plugin's own messages come
	// through the unnamed one.
	name string
	args []any
	// fdPath, when set, is the /proc/self/fd path the process was started
	// by (fexec_linux.go); go-plugin names the binary by it, and path is
	// the name to say instead.
	fdPath, path string
}

// newHCLogger returns go-plugin's logger for the plugin block labelled
// label; l already says plugin=label.
func newHCLogger(l *slog.Logger, label string) hclog.Logger { return &hclogger{l: l, label: label} }

var levels = map[hclog.Level]slog.Level{
	hclog.Trace: slog.LevelDebug - 4, hclog.Debug: slog.LevelDebug, hclog.Info: slog.LevelInfo,
	hclog.Warn: slog.LevelWarn, hclog.Error: slog.LevelError,
}

func (h *hclogger) Log(level hclog.Level, msg string, args ...any) {
	lv, ok := levels[level]
	if !ok {
		lv = slog.LevelInfo
	}
	if h.name == "" && msg == "plugin process exited" && lv == slog.LevelInfo {
		// go-plugin says so at the end of every run; an exit that fails
		// the run is an error, of go-plugin's and the engine's.
		lv = slog.LevelDebug
	}
	h.l.Log(context.Background(), lv, msg, h.distinct(args)...)
}

// distinct renames or drops a "plugin" attribute that would repeat the
// engine's own (see hclogger).
func (h *hclogger) distinct(args []any) []any {
	if !slices.Contains(args, any("plugin")) {
		return args
	}
	out := make([]any, 0, len(args))
	for i := 0; i < len(args); i += 2 {
		if i+1 == len(args) || args[i] != "plugin" {
			out = append(out, args[i:min(i+2, len(args))]...)
			continue
		}
		switch {
		case h.name == "":
			v := args[i+1]
			if h.fdPath != "" && v == any(h.fdPath) {
				v = h.path
			}
			out = append(out, "path", v)
		case fmt.Sprint(args[i+1]) == h.label:
		default:
			out = append(out, "served", args[i+1])
		}
	}
	return out
}

func (h *hclogger) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogger) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogger) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogger) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogger) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *hclogger) enabled(l slog.Level) bool { return h.l.Enabled(context.Background(), l) }
func (h *hclogger) IsTrace() bool             { return h.enabled(slog.LevelDebug - 4) }
func (h *hclogger) IsDebug() bool             { return h.enabled(slog.LevelDebug) }
func (h *hclogger) IsInfo() bool              { return h.enabled(slog.LevelInfo) }
func (h *hclogger) IsWarn() bool              { return h.enabled(slog.LevelWarn) }
func (h *hclogger) IsError() bool             { return h.enabled(slog.LevelError) }

func (h *hclogger) ImpliedArgs() []any { return h.args }
func (h *hclogger) With(args ...any) hclog.Logger {
	c := *h
	c.l, c.args = h.l.With(h.distinct(args)...), append(append([]any(nil), h.args...), args...)
	return &c
}
func (h *hclogger) Name() string { return h.name }
func (h *hclogger) Named(name string) hclog.Logger {
	if h.name != "" {
		name = h.name + "." + name
	}
	return h.ResetNamed(name)
}
func (h *hclogger) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

// The level is the slog handler's to decide.
func (h *hclogger) SetLevel(hclog.Level) {}
func (h *hclogger) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn} {
		if h.enabled(levels[l]) {
			return l
		}
	}
	return hclog.Error
}

func (h *hclogger) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return slog.NewLogLogger(h.l.Handler(), slog.LevelInfo)
}
func (h *hclogger) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return slog.NewLogLogger(h.l.Handler(), slog.LevelInfo).Writer()
}
