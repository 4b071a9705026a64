package main

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/sdk"
)

func (c *cli) pluginsCmd(args []string) error {
	if len(args) == 0 {
		return usageError("usage: sluice plugins list [--pipeline <file|dir>] | sluice plugins describe <name> [--pipeline <file|dir>]")
	}
	sub := args[0]
	fs, in := pipelineFlags("plugins "+sub, "plugins "+sub+" [<name>] [--pipeline <file|dir>]", c.stderr)
	pipeline := fs.String("pipeline", "", "also list the external plugins that the pipeline's plugin blocks declare (their binaries are started to ask them)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	eng, err := c.newEngine(slog.LevelWarn)
	if err != nil {
		return err
	}
	plugins, err := c.allPlugins(eng, *pipeline, in)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		if len(pos) != 0 {
			return usageError("usage: sluice plugins list [--pipeline <file|dir>]")
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tNAME\tVERSION\tFROM\tSUMMARY")
		for _, p := range plugins {
			info := p.Info()
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Kind(), info.Name, info.Version, p.from, info.Summary)
		}
		return tw.Flush()
	case "describe":
		if len(pos) != 1 {
			return usageError("usage: sluice plugins describe <name>, or <kind>/<name> such as sink/csv")
		}
		kind, name, hasKind := strings.Cut(pos[0], "/")
		if !hasKind {
			kind, name = "", pos[0]
		}
		found := false
		for _, p := range plugins {
			if p.Info().Name == name && (kind == "" || string(p.Kind()) == kind) {
				if found {
					fmt.Fprintln(c.stdout)
				}
				found = true
				describe(c.stdout, p)
				if p.from != "builtin" {
					fmt.Fprintf(c.stdout, "\nServed by the external plugin %s.\n", p.from)
				}
			}
		}
		if !found {
			return usageError("no plugin named %q; `sluice plugins list` shows them", pos[0])
		}
		return nil
	}
	return usageError("unknown plugins subcommand %q: use list or describe", sub)
}

// listed is a plugin and where it comes from: "builtin", or the plugin
// block and binary that serve it.
type listed struct {
	sdk.Plugin
	from string
}

// allPlugins returns the builtin plugins and, with a pipeline, the external
// plugins its plugin blocks declare, in kind and name order.
func (c *cli) allPlugins(eng *engine.Engine, pipeline string, in *inputFlags) ([]listed, error) {
	var out []listed
	for _, p := range eng.Plugins() {
		out = append(out, listed{p, "builtin"})
	}
	if pipeline == "" {
		return out, nil
	}
	p, err := c.load(eng, pipeline, in.inputs())
	if err != nil {
		return nil, err
	}
	ext, err := p.ExternalPlugins(c.ctx)
	if err != nil {
		return nil, c.reportDiagnostics(err)
	}
	for _, e := range ext {
		out = append(out, listed{e.Plugin, fmt.Sprintf("plugin %q (%s)", e.Block, e.Path)})
	}
	order := map[sdk.Kind]int{sdk.KindSource: 0, sdk.KindTransform: 1, sdk.KindSink: 2}
	slices.SortStableFunc(out, func(a, b listed) int {
		if d := order[a.Kind()] - order[b.Kind()]; d != 0 {
			return d
		}
		return strings.Compare(a.Info().Name, b.Info().Name)
	})
	return out, nil
}

// describe prints a plugin's documentation: what it does, its configuration
// schema with types, defaults and examples, and its examples.
func describe(w io.Writer, p sdk.Plugin) {
	info := p.Info()
	fmt.Fprintf(w, "%s %q (version %s)\n\n%s\n", p.Kind(), info.Name, info.Version, info.Summary)
	if info.Description != "" {
		fmt.Fprintf(w, "\n%s\n", info.Description)
	}
	fmt.Fprintf(w, "\nConfiguration:\n")
	describeSchema(w, p.Schema(), "  ")
	fmt.Fprintf(w, "\nArguments every %s takes:\n", p.Kind())
	for _, m := range metaArguments(p.Kind()) {
		fmt.Fprintf(w, "  %s\n      %s\n", m[0], m[1])
	}
	for _, ex := range info.Examples {
		fmt.Fprintf(w, "\nExample: %s\n\n%s\n", ex.Title, indent(ex.HCL, "  "))
	}
}

// hclDefault writes an attribute's default as it is written in a pipeline
// file: numbers and bools bare, everything else quoted.
func hclDefault(a *sdk.Attribute) string {
	switch a.Type.Kind {
	case sdk.TypeInt, sdk.TypeFloat, sdk.TypeBool:
		return a.Default
	}
	return strconv.Quote(a.Default)
}

func describeSchema(w io.Writer, s *sdk.Schema, prefix string) {
	if len(s.Attributes) == 0 && len(s.Blocks) == 0 {
		fmt.Fprintf(w, "%s(none)\n", prefix)
	}
	for _, a := range s.Attributes {
		var notes []string
		switch {
		case a.Required:
			notes = append(notes, "required")
		case a.Default != "":
			notes = append(notes, "default "+hclDefault(a))
		default:
			notes = append(notes, "optional")
		}
		if a.Sensitive {
			notes = append(notes, "sensitive")
		}
		fmt.Fprintf(w, "%s%s (%s; %s)\n", prefix, a.Name, a.Type, strings.Join(notes, ", "))
		if a.Doc != "" {
			fmt.Fprintf(w, "%s    %s\n", prefix, a.Doc)
		}
		if a.Example != "" {
			fmt.Fprintf(w, "%s    Example: %s = %s\n", prefix, a.Name, a.Example)
		}
	}
	for _, b := range s.Blocks {
		header := b.Name
		for _, l := range b.Labels {
			header += fmt.Sprintf(" %q", "<"+l+">")
		}
		var notes []string
		if b.Required {
			notes = append(notes, "required")
		}
		if b.Repeated {
			notes = append(notes, "repeatable")
		}
		note := ""
		if len(notes) > 0 {
			note = " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintf(w, "%s%s { … } block%s\n", prefix, header, note)
		if b.Doc != "" {
			fmt.Fprintf(w, "%s    %s\n", prefix, b.Doc)
		}
		if b.Attrs != nil {
			fmt.Fprintf(w, "%s    Any attributes, each a %s.\n", prefix, *b.Attrs)
			continue
		}
		describeSchema(w, b.Body, prefix+"    ")
	}
}

// metaArguments documents the attributes the engine interprets.
func metaArguments(kind sdk.Kind) [][2]string {
	var out [][2]string
	if kind != sdk.KindSource {
		out = append(out, [2]string{"input = <source or transform>", "The node this one reads from, such as source.segment (required)."})
	}
	out = append(out,
		[2]string{"rejects = sink.<name>", "The sink that receives the rows this node rejects, with their reason. Without one, the first rejected row stops the run."},
		[2]string{"max_rejects = <n>", "Stop the run after more than n rejected rows."},
	)
	if kind == sdk.KindSink {
		out = append(out,
			[2]string{"batch { rows = <n>, bytes = \"8MiB\" }", "The size of the batches the sink writes; the engine joins and splits batches to fit."},
			[2]string{"max_in_flight = <n>", "How many batches the sink may write at once, when it allows more than one."},
		)
	}
	return out
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
