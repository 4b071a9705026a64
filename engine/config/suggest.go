package config

import (
	"fmt"

	"github.com/agext/levenshtein"
)

// Suggest returns " Did you mean "x"?" for the candidate closest to name, or
// "" when none is close: fewer than three edits away, and fewer edits than
// either name has characters (so "zz" does not suggest "a").
func Suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(name, c, nil); d < bestDist && d < len(name) && d < len(c) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}
