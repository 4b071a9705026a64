// Package registry knows which plugins a pipeline can use. Builtin plugins
// are registered as values; out-of-process plugins are registered through the
// client that speaks to their process, which implements the same sdk.Plugin
// interface, so the rest of the engine treats both alike.
package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicedata/sluice/sdk"
)

// Registry holds plugins by kind and name.
type Registry struct {
	plugins map[key]sdk.Plugin
}

type key struct {
	kind sdk.Kind
	name string
}

// New returns a registry holding plugins. Two plugins of the same kind and
// name are an error.
func New(plugins ...sdk.Plugin) (*Registry, error) {
	r := &Registry{plugins: map[key]sdk.Plugin{}}
	for _, p := range plugins {
		if err := r.Add(p); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Add registers p.
func (r *Registry) Add(p sdk.Plugin) error {
	k := key{p.Kind(), p.Info().Name}
	if _, dup := r.plugins[k]; dup {
		return fmt.Errorf("two %s plugins are named %q", k.kind, k.name)
	}
	r.plugins[k] = p
	return nil
}

// Clone returns a registry holding the same plugins, to which a pipeline
// adds its external plugins without changing the engine's.
func (r *Registry) Clone() *Registry {
	c := &Registry{plugins: make(map[key]sdk.Plugin, len(r.plugins))}
	for k, p := range r.plugins {
		c.plugins[k] = p
	}
	return c
}

// Lookup returns the plugin of the given kind and name.
func (r *Registry) Lookup(kind sdk.Kind, name string) (sdk.Plugin, bool) {
	p, ok := r.plugins[key{kind, name}]
	return p, ok
}

// Names returns the names of the plugins of a kind, sorted.
func (r *Registry) Names(kind sdk.Kind) []string {
	var out []string
	for k := range r.plugins {
		if k.kind == kind {
			out = append(out, k.name)
		}
	}
	slices.Sort(out)
	return out
}

// All returns every plugin, sorted by kind (sources, transforms, sinks) and
// name.
func (r *Registry) All() []sdk.Plugin {
	out := make([]sdk.Plugin, 0, len(r.plugins))
	for _, p := range r.plugins {
		out = append(out, p)
	}
	order := map[sdk.Kind]int{sdk.KindSource: 0, sdk.KindTransform: 1, sdk.KindSink: 2}
	slices.SortFunc(out, func(a, b sdk.Plugin) int {
		if c := order[a.Kind()] - order[b.Kind()]; c != 0 {
			return c
		}
		return strings.Compare(a.Info().Name, b.Info().Name)
	})
	return out
}
