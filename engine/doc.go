// Package engine is Sluice's embeddable API: load a pipeline, validate it,
// run it with a context, read its stats. The sluice command is one user of
// it; a Go service that moves data on a schedule is another.
//
//	eng, err := engine.New(engine.WithPlugins(builtin.Plugins()...))
//	…
//	p, err := eng.Load("pipelines/segment.hcl", engine.Inputs{Vars: []string{"region=eu"}})
//	if err != nil {
//		var diags *engine.Diagnostics
//		if errors.As(err, &diags) {
//			diags.Render(os.Stderr, 100, false) // file:line:column with snippets
//		}
//		…
//	}
//	stats, err := p.Run(ctx, engine.RunOptions{})
//
// The engine itself knows no plugins: the program that embeds it chooses
// which to offer (package plugins/builtin lists Sluice's own).
package engine
