// Package sdk is what a Sluice plugin author imports.
//
// A Sluice pipeline moves Apache Arrow record batches from sources, through
// transforms, into sinks. Each of the three kinds is a small Go interface in
// this package ([Source], [Transform], [Sink]); a plugin implements one of them
// and describes itself with a [Plugin] value built by [SourcePlugin],
// [TransformPlugin] or [SinkPlugin]. The engine calls it through the same
// interfaces whether it is compiled into the sluice binary or served from a
// separate executable.
//
// # What the engine does for you
//
// The engine owns the pipeline file. It parses HCL, evaluates variables and
// functions, checks every attribute against the configuration schema the plugin
// declared, and hands the plugin a decoded Go struct. Plugins never see HCL.
// The engine also owns batching (a sink receives batches re-sliced to its batch
// size), retries of rows a sink reports as retryable, the rejects stream,
// checkpoints, progress and the run summary. A plugin does I/O and reports what
// happened to each row.
//
// # Configuration
//
// A plugin's configuration is a Go struct whose fields carry a `sluice` tag:
//
//	type Config struct {
//		Path      string   `sluice:"path,required" doc:"File to read; a glob reads every match in name order." example:"\"data/*.csv\""`
//		Delimiter string   `sluice:"delimiter" default:"," doc:"Field separator, one character."`
//		Where     sdk.Expr `sluice:"where" doc:"Row condition."`
//	}
//
// The schema the engine checks pipeline files against, and the reference
// documentation that `sluice plugins describe` prints, are derived from that
// struct (see [SchemaOf]). Report a semantic mistake in the configuration by
// returning [Diagnostics] from the constructor; the engine points them at the
// file, line and column of the attribute named by the diagnostic's [Path].
//
// # Ownership of record batches
//
// One rule, everywhere: a callee never releases what it was given, and retains
// what it keeps beyond the call. Whatever a call returns belongs to the caller,
// who must release it. So a source releases a batch after [Emitter.Emit]
// returns; a transform must not release the batch passed to Process, and the
// batch it returns is released by the engine; a sink must not release the batch
// passed to Write, and must Retain it if it keeps it after Write returns. Build
// arrays with [Host.Allocator], which tests replace with a checked allocator
// that fails on leaks.
//
// # Rows, not batches, succeed or fail
//
// A value that cannot be read, converted, computed or written rejects its row,
// not its batch: return a [RowError] naming the row. Rejected rows go to the
// pipeline's rejects stream with the original columns and the reason, or stop
// the run when the pipeline has none. A returned error, by contrast, means the
// plugin cannot go on, and ends the run.
//
// # Moving only what is needed
//
// A transform that only drops rows answers with [Result.Keep], a mask of
// the input rows that pass on; one that computes columns may answer with
// an Out aligned with its input, whose rejected rows the engine drops (see
// [Result]). A transform that reads only some columns and passes the others
// on says so by implementing [Projector]. Compiled in, this costs nothing
// extra; out of process, only the columns a transform reads travel to it,
// and only the columns it computes, or its mask, come back.
//
// # A small plugin
//
// A transform that upper-cases one column:
//
//	type upperConfig struct {
//		Column string `sluice:"column,required" doc:"Text column to upper-case in place."`
//	}
//
//	var Upper = sdk.TransformPlugin(sdk.Info{
//		Name:    "upper",
//		Version: "1.0.0",
//		Summary: "Upper-cases one text column.",
//	}, func(cfg upperConfig) (sdk.Transform, error) {
//		return &upper{column: cfg.Column}, nil
//	})
//
// See the example in this package's tests for the whole plugin.
package sdk
