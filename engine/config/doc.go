// Package config reads pipeline files.
//
// A pipeline is one .hcl file, or every .hcl file of a directory read as one.
// Its top-level blocks are:
//
//	variable "name" { type, default, description, sensitive }
//	locals { name = value … }
//	plugin "name" { path = "./bin/sluice-plugin-x", sha256 = "…" }
//	source    "<plugin>" "<name>" { … }
//	transform "<plugin>" "<name>" { input = source.x … }
//	sink      "<plugin>" "<name>" { input = transform.y … }
//
// This package evaluates variables and locals, and decodes the attributes the
// engine itself interprets in node blocks (input, rejects, max_rejects,
// max_in_flight, batch). The rest of each node's body is kept, undecoded, for
// the planner, which decodes it against the schema its plugin declares.
// Every mistake is an hcl.Diagnostic with a source range; loading goes on
// after a mistake, so that one pass reports them all.
package config
