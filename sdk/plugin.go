package sdk

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"
)

// Info describes a plugin: how pipeline files name it and what it does. The
// engine shows it in `sluice plugins list` and `sluice plugins describe`.
type Info struct {
	// Name is how pipeline files refer to the plugin, as the first label of a
	// source, transform or sink block: `source "csv" "segment"`. Lower case
	// letters, digits and underscores.
	Name string
	// Version is the plugin's semantic version.
	Version string
	// Summary is one line: what the plugin does.
	Summary string
	// Description is optional longer documentation, in Markdown.
	Description string
	// Examples are pipeline-file snippets that show the plugin in use.
	Examples []Example
	// Writes tells the engine how to call Write. Sinks only.
	Writes WritePolicy
}

// Example is a documented use of a plugin.
type Example struct {
	Title string
	HCL   string
}

// WritePolicy tells the engine how to batch and schedule a sink's Write calls.
// Users may override Rows, Bytes and InFlight in the sink's `batch` block and
// `max_in_flight` attribute, within the maxima.
type WritePolicy struct {
	// Rows and Bytes are the default size of the batches passed to Write: the
	// engine joins smaller batches and splits larger ones. When both are zero
	// the sink takes batches of any size, and the engine passes them on as
	// they come, unless the pipeline asks for a size in the sink's batch
	// block.
	Rows  int
	Bytes int64
	// MaxRows is a hard upper bound on rows per Write, or zero for none.
	MaxRows int
	// InFlight is how many Write calls the engine may run at once by default;
	// MaxInFlight bounds what users may configure. Zero means one: Write is
	// then never called concurrently.
	InFlight    int
	MaxInFlight int
}

// Host is what the engine lends a plugin while it is open.
type Host interface {
	// Logger is the plugin's structured logger. Its output is redacted:
	// values of sensitive variables never appear in it.
	Logger() *slog.Logger
	// Allocator allocates the memory of every Arrow array the plugin builds.
	Allocator() memory.Allocator
	// Offline reports that the engine is only validating the pipeline
	// (`sluice validate` without --online). Sinks and transforms must then
	// check what they can locally — configuration, expressions against the
	// input schema — and return from Open without contacting remote systems.
	// Sources are opened either way: nothing downstream of a source can be
	// checked without its schema.
	Offline() bool
}

// Plugin is the description and constructor of a plugin, as the engine sees
// it. Build one with [SourcePlugin], [TransformPlugin] or [SinkPlugin]; the
// engine's client for out-of-process plugins implements it too.
type Plugin interface {
	Info() Info
	Kind() Kind
	// Schema is the configuration schema the engine checks the plugin's
	// pipeline-file block against.
	Schema() *Schema
	// New builds an instance from a configuration value that conforms to
	// Schema. The result is a Source, Transform or Sink according to Kind.
	// New does no I/O; it returns [Diagnostics] for configuration mistakes.
	New(ctx context.Context, config cty.Value) (any, error)
}

// SourcePlugin describes a source whose configuration is the struct type C.
// It panics if C is not a valid configuration struct (see [SchemaOf]): that is
// a programming error, found the first time the plugin is registered.
func SourcePlugin[C any](info Info, build func(C) (Source, error)) Plugin {
	return newPlugin(KindSource, info, build)
}

// TransformPlugin describes a transform whose configuration is the struct
// type C. It panics if C is not a valid configuration struct.
func TransformPlugin[C any](info Info, build func(C) (Transform, error)) Plugin {
	return newPlugin(KindTransform, info, build)
}

// SinkPlugin describes a sink whose configuration is the struct type C. It
// panics if C is not a valid configuration struct.
func SinkPlugin[C any](info Info, build func(C) (Sink, error)) Plugin {
	return newPlugin(KindSink, info, build)
}

type builtPlugin[C, T any] struct {
	kind   Kind
	info   Info
	schema *Schema
	build  func(C) (T, error)
}

func newPlugin[C, T any](kind Kind, info Info, build func(C) (T, error)) Plugin {
	if err := checkName(info.Name); err != nil {
		panic(fmt.Sprintf("sdk: %s plugin: %v", kind, err))
	}
	schema, err := SchemaOf(reflect.TypeFor[C]())
	if err != nil {
		panic(fmt.Sprintf("sdk: %s plugin %q: %v", kind, info.Name, err))
	}
	return &builtPlugin[C, T]{kind: kind, info: info, schema: schema, build: build}
}

func (p *builtPlugin[C, T]) Info() Info      { return p.info }
func (p *builtPlugin[C, T]) Kind() Kind      { return p.kind }
func (p *builtPlugin[C, T]) Schema() *Schema { return p.schema }

func (p *builtPlugin[C, T]) New(_ context.Context, config cty.Value) (any, error) {
	var cfg C
	if err := DecodeConfig(p.schema, config, &cfg); err != nil {
		return nil, err
	}
	return p.build(cfg)
}

func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("plugin has no name")
	}
	for i, r := range name {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("plugin name %q: use lower-case letters, digits and underscores, starting with a letter", name)
		}
	}
	return nil
}
