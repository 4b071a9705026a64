package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire"
)

// Serve serves plugins until the engine that started the process is done
// with them, then returns. It panics if two plugins of one kind share a
// name, a programming error.
func Serve(plugins ...sdk.Plugin) {
	seen := map[string]bool{}
	for _, p := range plugins {
		key := string(p.Kind()) + "/" + p.Info().Name
		if seen[key] {
			panic(fmt.Sprintf("serve: two %s plugins are named %q", p.Kind(), p.Info().Name))
		}
		seen[key] = true
	}
	if len(os.Args) == 2 && os.Args[1] == "describe" {
		if err := Describe(os.Stdout, plugins...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	// A plugin process's garbage is almost all transient batch buffers,
	// received and sent: collecting less often measurably speeds up a
	// transform chain (docs/benchmarks.md, "External plugins") at little cost in memory.
	debug.SetGCPercent(400)
	logger := slog.New(NewLogHandler(os.Stderr, slog.LevelDebug))
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		VersionedPlugins: wire.VersionedPlugins(&wire.GRPCPlugin{
			Plugins:    plugins,
			ServerOpts: wire.ServerOptions{Logger: logger},
		}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, wire.GRPCServerOptions(0)...)...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Warn}),
	})
}

// Entry is what `describe` prints for each plugin, and decodes it: the
// kinds of its schema's types are printed by name, which sdk.TypeKind
// reads.
type Entry struct {
	Kind    sdk.Kind    `json:"kind"`
	Info    sdk.Info    `json:"info"`
	Schema  *sdk.Schema `json:"schema"`
	Version int         `json:"protocol"`
}

// Describe writes the plugins' kinds, information and configuration
// schemas as JSON, each type's kind by name ("Kind": "list") for the
// people and tools that read it. The wire protocol's Describe keeps the
// schema's own encoding, with kinds as numbers, which every engine
// understands.
func Describe(w io.Writer, plugins ...sdk.Plugin) error {
	// Entry, with the schema as a schemaView.
	type entry struct {
		Kind    sdk.Kind    `json:"kind"`
		Info    sdk.Info    `json:"info"`
		Schema  *schemaView `json:"schema"`
		Version int         `json:"protocol"`
	}
	out := make([]entry, len(plugins))
	for i, p := range plugins {
		out[i] = entry{Kind: p.Kind(), Info: p.Info(), Schema: viewSchema(p.Schema()), Version: wire.ProtocolVersion}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// schemaView, attributeView, blockView and typeView are sdk.Schema as
// describe prints it: each embeds its sdk counterpart, so that every field
// is printed, and shadows the fields that hold types.
type schemaView struct {
	Attributes []attributeView
	Blocks     []blockView
}

type attributeView struct {
	*sdk.Attribute
	Type typeView
}

type blockView struct {
	*sdk.Block
	Body  *schemaView
	Attrs *typeView
}

type typeView struct {
	Kind string
	Elem *typeView `json:",omitempty"`
}

func viewSchema(s *sdk.Schema) *schemaView {
	if s == nil {
		return nil
	}
	v := &schemaView{}
	for _, a := range s.Attributes {
		v.Attributes = append(v.Attributes, attributeView{Attribute: a, Type: *viewType(&a.Type)})
	}
	for _, b := range s.Blocks {
		v.Blocks = append(v.Blocks, blockView{Block: b, Body: viewSchema(b.Body), Attrs: viewType(b.Attrs)})
	}
	return v
}

func viewType(t *sdk.Type) *typeView {
	if t == nil {
		return nil
	}
	return &typeView{Kind: t.Kind.String(), Elem: viewType(t.Elem)}
}

// NewLogHandler returns a slog handler that writes the JSON lines go-plugin
// reads from a plugin's stderr (hclog's format: @level, @message,
// @timestamp, then the attributes), so that they reach the engine's log at
// their level.
func NewLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			case slog.LevelKey:
				return slog.String("@level", hclogLevel(a.Value.Any().(slog.Level)))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})
}

func hclogLevel(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}
