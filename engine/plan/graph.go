package plan

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/sluicedata/sluice/engine/config"
	"github.com/sluicedata/sluice/sdk"
)

// link resolves references into edges, checks the graph's shape and orders
// the nodes.
func (pl *Plan) link(p *config.Pipeline) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byAddr := map[string]*Node{}
	var nodes []*Node
	for _, c := range p.Nodes {
		n := &Node{Config: c}
		byAddr[c.Address()] = n
		nodes = append(nodes, n)
	}
	resolve := func(ref *config.Ref) *Node {
		if n, ok := byAddr[ref.Address()]; ok {
			return n
		}
		var names []string
		for _, n := range nodes {
			if n.Kind() == ref.Kind {
				names = append(names, n.Config.Name)
			}
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: fmt.Sprintf("Reference to undeclared %s", ref.Kind),
			Detail:  fmt.Sprintf("There is no %s named %q in this pipeline.%s", ref.Kind, ref.Name, config.Suggest(ref.Name, names)),
			Subject: ref.Range.Ptr(),
		})
		return nil
	}
	for _, n := range nodes {
		c := n.Config
		if c.Input != nil {
			if in := resolve(c.Input); in != nil {
				n.Input = in
				in.Outputs = append(in.Outputs, n)
			}
		}
		if c.Rejects != nil {
			if r := resolve(c.Rejects); r != nil {
				n.Rejects = r
				r.RejectsFrom = append(r.RejectsFrom, n)
			}
		}
	}
	for _, n := range nodes {
		c := n.Config
		switch {
		case len(n.RejectsFrom) > 0 && c.Input != nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "A rejects sink cannot have an input",
				Detail:  fmt.Sprintf("%s receives the rows that %s rejects, so it cannot also read %s. Use a separate sink.", n.Address(), n.RejectsFrom[0].Address(), c.Input.Address()),
				Subject: c.Input.Range.Ptr(),
			})
		case len(n.RejectsFrom) > 0 && c.Rejects != nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "A rejects sink cannot send its rejects elsewhere",
				Detail:  fmt.Sprintf("%s receives rejected rows; a row it cannot write stops the run.", n.Address()),
				Subject: c.Rejects.Range.Ptr(),
			})
		case c.Kind == sdk.KindSink && c.Input == nil && !c.BadInput && len(n.RejectsFrom) == 0:
			diags = append(diags, config.MissingInput(c))
		case c.Kind != sdk.KindSink && len(n.Outputs) == 0 && len(diags) == 0:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning, Summary: "Unused " + string(c.Kind),
				Detail:  fmt.Sprintf("Nothing reads %s: no transform or sink has input = %s.", n.Address(), n.Address()),
				Subject: c.DeclRange.Ptr(),
			})
		}
	}

	// Order: depth-first from every node through its input, which also finds
	// cycles; sinks fed only by rejects go last.
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[*Node]int{}
	var visit func(n *Node) bool
	visit = func(n *Node) bool {
		switch state[n] {
		case done:
			return true
		case visiting:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Cycle in pipeline",
				Detail:  fmt.Sprintf("%s reads, through its inputs, from itself. Data must flow from sources to sinks.", n.Address()),
				Subject: n.Config.Input.Range.Ptr(),
			})
			return false
		}
		state[n] = visiting
		if n.Input != nil && !visit(n.Input) {
			return false
		}
		state[n] = done
		pl.Nodes = append(pl.Nodes, n)
		return true
	}
	var rejectSinks []*Node
	for _, n := range nodes {
		if len(n.RejectsFrom) > 0 {
			rejectSinks = append(rejectSinks, n)
			continue
		}
		if state[n] == unvisited {
			visit(n)
		}
	}
	pl.Nodes = append(pl.Nodes, rejectSinks...)
	return diags
}
