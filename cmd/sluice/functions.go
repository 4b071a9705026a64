package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/sluicedata/sluice/sdk/rowexpr/stdlib"
)

// functionsCmd lists the functions of row expressions, or documents the
// named ones with their examples.
func (c *cli) functionsCmd(args []string) error {
	all := stdlib.All()
	if len(args) == 0 {
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		category := ""
		for _, f := range all {
			if f.Category != category {
				category = f.Category
				fmt.Fprintf(tw, "\n%s\n", strings.ToUpper(category))
			}
			fmt.Fprintf(tw, "  %s\t%s\n", f.Signature, firstSentence(f.Doc))
		}
		tw.Flush()
		fmt.Fprintln(c.stdout, "\n`sluice functions <name>` shows a function's documentation and examples; docs/functions.md has them all.")
		return nil
	}
	for i, name := range args {
		found := false
		for _, f := range all {
			if f.Name != name {
				continue
			}
			found = true
			if i > 0 {
				fmt.Fprintln(c.stdout)
			}
			origin := "Sluice"
			if f.Builtin {
				origin = "expr builtin"
			}
			fmt.Fprintf(c.stdout, "%s  (%s, %s)\n\n%s\n", f.Signature, f.Category, origin, f.Doc)
			for _, ex := range f.Examples {
				fmt.Fprintf(c.stdout, "\n  %s\n    → %s\n", ex.Expr, ex.Result)
			}
		}
		if !found {
			return usageError("no function named %q; `sluice functions` lists them", name)
		}
	}
	return nil
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
