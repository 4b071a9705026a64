package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/sluicedata/sluice/engine/registry"
	"github.com/sluicedata/sluice/sdk"
)

// WithPluginHangTimeout sets how long an external plugin process may fail
// health checks before the engine kills it and fails the run. Default five
// seconds.
func WithPluginHangTimeout(d time.Duration) Option {
	return func(e *Engine) error { e.hangTimeout = d; return nil }
}

// ExternalPlugin is a plugin served by a binary that a pipeline's plugin
// block declares.
type ExternalPlugin struct {
	sdk.Plugin
	// Block is the plugin block's name and Path the binary's path.
	Block, Path string
}

// ExternalPlugins starts the pipeline's plugin binaries, asks each what it
// serves, and stops them. The plugins it returns describe themselves
// (Info, Kind, Schema) but can no longer build instances. Mistakes in the
// plugin blocks are returned as a *Diagnostics error.
func (p *Pipeline) ExternalPlugins(ctx context.Context) ([]ExternalPlugin, error) {
	procs, diags := p.launch(ctx)
	defer stopAll(procs)
	if err := p.diagnostics(diags); err != nil {
		return nil, err
	}
	var out []ExternalPlugin
	for _, proc := range procs {
		for _, pl := range proc.Plugins() {
			out = append(out, ExternalPlugin{Plugin: pl, Block: proc.Binary().Name, Path: proc.Binary().Path})
		}
	}
	return out, nil
}

// registry returns the registry a run of the pipeline uses: the engine's
// plugins and those of the pipeline's plugin binaries, which it starts. stop
// kills the processes.
func (p *Pipeline) registry(ctx context.Context) (reg *registry.Registry, stop func(), diags hcl.Diagnostics) {
	if len(p.config.Plugins) == 0 {
		return p.engine.registry, func() {}, nil
	}
	procs, diags := p.launch(ctx)
	stop = func() { stopAll(procs) }
	reg = p.engine.registry.Clone()
	for i, proc := range procs {
		if proc == nil {
			continue
		}
		block := p.config.Plugins[i]
		for _, pl := range proc.Plugins() {
			if err := reg.Add(pl); err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Plugin name taken",
					Detail:  fmt.Sprintf("%s serves a %s plugin named %q, but the pipeline already has one by that name.", block.Path, pl.Kind(), pl.Info().Name),
					Subject: block.NameRange.Ptr(),
				})
			}
		}
	}
	return reg, stop, diags
}

// launch starts every plugin binary the pipeline declares; procs[i] is
// the process of p.config.Plugins[i], or nil when it could not start.
func (p *Pipeline) launch(ctx context.Context) ([]*registry.Process, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	procs := make([]*registry.Process, len(p.config.Plugins))
	for i, b := range p.config.Plugins {
		proc, err := registry.Launch(ctx, registry.Binary{Name: b.Name, Path: b.Path, SHA256: b.SHA256}, registry.LaunchOptions{
			Logger: p.logger(), HangTimeout: p.engine.hangTimeout, SumCache: p.sumCache(),
		})
		var sumErr *registry.ChecksumError
		switch {
		case errors.As(err, &sumErr):
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Plugin checksum mismatch",
				Detail:  fmt.Sprintf("%s. Sluice refuses to run a plugin binary that is not the one pinned: rebuild it, or pin the new checksum if you trust it.", sumErr),
				Subject: b.SHA256Range.Ptr(),
			})
		case errors.Is(err, fs.ErrNotExist):
			path := b.Path
			if abs, err := filepath.Abs(path); err == nil {
				path = abs // the path as resolved, not relative to where sluice runs
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Plugin binary not found",
				Detail:  fmt.Sprintf("There is no file %s. A relative path is resolved against the directory of the file that declares the plugin block.", path),
				Subject: b.PathRange.Ptr(),
			})
		case err != nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Cannot start plugin",
				Detail: err.Error(), Subject: b.DeclRange.Ptr(),
			})
		}
		procs[i] = proc
	}
	return procs, diags
}

// sumCache is where the checksums of the pipeline's plugin binaries are
// remembered between runs (registry.LaunchOptions.SumCache): beside the
// state file of the file backend, on the machine that runs the binaries.
// A pipeline whose state is elsewhere (PostgreSQL, which several machines
// may share, or memory) has none, and hashes its binaries at every launch.
func (p *Pipeline) sumCache() string {
	if s := p.config.State; s != nil && s.Backend == "file" && s.Path != "" {
		return filepath.Join(filepath.Dir(s.Path), "plugin-sums.json")
	}
	return ""
}

func stopAll(procs []*registry.Process) {
	for _, proc := range procs {
		if proc != nil {
			proc.Kill()
		}
	}
}
