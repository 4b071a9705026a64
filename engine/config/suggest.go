package config

import (
	"fmt"

	"github.com/agext/levenshtein"
)

// Suggest returns " Did you mean "x"?" for the candidate closest to name, or
// "" when none is close.
func Suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(name, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}
