// Package plan turns loaded pipeline files into a graph of configured, open
// plugins, ready to run.
//
// It resolves every reference (input = source.x, rejects = sink.y) into an
// edge, rejects cycles, finds each node's plugin, decodes the node's body
// against the schema the plugin declared, builds the plugin, and opens the
// nodes in dependency order so that each learns its input schema: a source
// reports the schema it emits, a transform derives its output schema from its
// input and compiles its expressions against it, a sink checks its input. A
// mistake anywhere becomes a diagnostic at its file, line and column, and
// planning goes on so that one pass reports every mistake it can find.
package plan
