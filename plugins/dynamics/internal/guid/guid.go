// Package guid reads GUIDs the way Dataverse writes and accepts them: 36
// characters with dashes, in either case, optionally in braces. The sink
// (checking ids before it sends them) and the emulator (answering as the
// service does) must agree on what a GUID is, so both use this one.
package guid

import "strings"

// Parse accepts a GUID with or without braces, in any case, and returns its
// canonical lower-case form.
func Parse(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}
