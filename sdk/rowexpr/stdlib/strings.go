package stdlib

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxPadLength bounds padLeft/padRight so that a bad length from data cannot
// allocate gigabytes for one row.
const maxPadLength = 1 << 20

func stringFunctions() []Function {
	return []Function{
		// expr builtins.
		{
			Name: "len", Category: catStrings, Builtin: true,
			Signature: "len(v string|list|map) int",
			Doc:       "Number of characters (Unicode code points, not bytes) in a string, or of elements in a list or map. Fails on null.",
			Examples: []Example{
				{`len("Zoë")`, `3`},
				{`len(["a", "b"])`, `2`},
			},
		},
		{
			Name: "lower", Category: catStrings, Builtin: true,
			Signature: "lower(s string) string",
			Doc:       "Lower-cases s (Unicode-aware). Fails on null: write lower(s ?? \"\") for nullable columns.",
			Examples:  []Example{{`lower("ÉCOLE Street")`, `"école street"`}},
		},
		{
			Name: "upper", Category: catStrings, Builtin: true,
			Signature: "upper(s string) string",
			Doc:       "Upper-cases s (Unicode-aware). Fails on null.",
			Examples:  []Example{{`upper("gb-eng")`, `"GB-ENG"`}},
		},
		{
			Name: "trim", Category: catStrings, Builtin: true,
			Signature: "trim(s string[, cutset string]) string",
			Doc:       "Removes leading and trailing white space, or, with cutset, every leading and trailing character contained in cutset. Fails on null.",
			Examples: []Example{
				{`trim("  Jane Doe \n")`, `"Jane Doe"`},
				{`trim("--42--", "-")`, `"42"`},
			},
		},
		{
			Name: "trimPrefix", Category: catStrings, Builtin: true,
			Signature: "trimPrefix(s string[, prefix string]) string",
			Doc:       "Removes prefix from the start of s once, if present (default prefix: a single space). Fails on null.",
			Examples:  []Example{{`trimPrefix("ACC-0042", "ACC-")`, `"0042"`}},
		},
		{
			Name: "trimSuffix", Category: catStrings, Builtin: true,
			Signature: "trimSuffix(s string[, suffix string]) string",
			Doc:       "Removes suffix from the end of s once, if present (default suffix: a single space). Fails on null.",
			Examples:  []Example{{`trimSuffix("report.csv", ".csv")`, `"report"`}},
		},
		{
			Name: "split", Category: catStrings, Builtin: true,
			Signature: "split(s string, sep string[, n int]) list",
			Doc:       "Splits s around each sep into a list of strings; with n, returns at most n parts, the last holding the rest. Fails on null.",
			Examples: []Example{
				{`split("a,b,c", ",")`, `["a", "b", "c"]`},
				{`split("a,b,c", ",", 2)`, `["a", "b,c"]`},
			},
		},
		{
			Name: "replace", Category: catStrings, Builtin: true,
			Signature: "replace(s string, old string, new string[, n int]) string",
			Doc:       "Replaces every occurrence of old in s by new, or only the first n with n. Plain text, not a pattern: see regexReplace. Fails on null.",
			Examples:  []Example{{`replace("01-23-45", "-", "")`, `"012345"`}},
		},
		{
			Name: "repeat", Category: catStrings, Builtin: true,
			Signature: "repeat(s string, n int) string",
			Doc:       "Returns s repeated n times; n must not be negative. Fails on null.",
			Examples:  []Example{{`repeat("ab", 3)`, `"ababab"`}},
		},
		{
			Name: "indexOf", Category: catStrings, Builtin: true,
			Signature: "indexOf(s string, sub string) int",
			Doc:       "Byte offset of the first occurrence of sub in s, or -1 if there is none. Fails on null.",
			Examples:  []Example{{`indexOf("jane@example.com", "@")`, `4`}},
		},
		{
			Name: "lastIndexOf", Category: catStrings, Builtin: true,
			Signature: "lastIndexOf(s string, sub string) int",
			Doc:       "Byte offset of the last occurrence of sub in s, or -1 if there is none. Fails on null.",
			Examples:  []Example{{`lastIndexOf("a.b.c", ".")`, `3`}},
		},
		{
			Name: "hasPrefix", Category: catStrings, Builtin: true,
			Signature: "hasPrefix(s string, prefix string) bool",
			Doc:       "Reports whether s starts with prefix. Fails on null; the startsWith operator (s startsWith \"x\") is false on null instead.",
			Examples:  []Example{{`hasPrefix("+44 20 7946 0000", "+44")`, `true`}},
		},
		{
			Name: "hasSuffix", Category: catStrings, Builtin: true,
			Signature: "hasSuffix(s string, suffix string) bool",
			Doc:       "Reports whether s ends with suffix. Fails on null; the endsWith operator is false on null instead.",
			Examples:  []Example{{`hasSuffix("jane@example.com", ".com")`, `true`}},
		},

		// Sluice functions.
		{
			Name: "titleCase", Category: catStrings,
			Signature: "titleCase(s string) string",
			Doc: "Upper-cases the first letter of every word and lower-cases the other letters; words are separated by anything but letters, digits and apostrophes, " +
				"and a letter after a leading O', D' or L' also starts a word (O'Neil, D'Angelo). Fails on null.",
			Examples: []Example{
				{`titleCase("JEAN-LUC o'neil")`, `"Jean-Luc O'Neil"`},
				{`titleCase("don't stop 3RD street")`, `"Don't Stop 3rd Street"`},
				{`titleCase("éLODIE ÅSTRÖM")`, `"Élodie Åström"`},
			},
			Fn:    titleCaseFn,
			Types: []any{new(func(string) string)},
		},
		{
			Name: "normalizeSpace", Category: catStrings,
			Signature: "normalizeSpace(s string) string",
			Doc:       "Trims s and collapses every run of white space inside it (tabs, newlines, non-breaking spaces, ...) into a single space. Fails on null.",
			Examples: []Example{
				{`normalizeSpace("  12\tHigh \n Street ")`, `"12 High Street"`},
			},
			Fn:    normalizeSpaceFn,
			Types: []any{new(func(string) string)},
		},
		{
			Name: "left", Category: catStrings,
			Signature: "left(s string, n int) string",
			Doc:       "The first n characters (code points, never a split UTF-8 sequence) of s, or s itself if it is shorter. Fails on null or a negative n.",
			Examples: []Example{
				{`left("Zoë Smith", 3)`, `"Zoë"`},
				{`left("Zoë", 10)`, `"Zoë"`},
			},
			Fn:    leftFn,
			Types: []any{new(func(string, int) string)},
		},
		{
			Name: "right", Category: catStrings,
			Signature: "right(s string, n int) string",
			Doc:       "The last n characters (code points) of s, or s itself if it is shorter. Fails on null or a negative n.",
			Examples:  []Example{{`right("GB29NWBK60161331926819", 4)`, `"6819"`}},
			Fn:        rightFn,
			Types:     []any{new(func(string, int) string)},
		},
		{
			Name: "truncate", Category: catStrings,
			Signature: "truncate(s string, n int[, suffix string]) string",
			Doc: "Cuts s to at most n characters (code points), to fit a column's maximum length; with suffix (such as \"…\"), a cut string ends with suffix and still fits in n. " +
				"Returns s unchanged if it fits. Fails on null, a negative n, or a suffix longer than n.",
			Examples: []Example{
				{`truncate("Sluice Data Ltd", 6)`, `"Sluice"`},
				{`truncate("Sluice Data Ltd", 10, "…")`, `"Sluice Da…"`},
				{`truncate("Sluice", 10, "…")`, `"Sluice"`},
			},
			Fn: truncateFn,
			Types: []any{
				new(func(string, int) string),
				new(func(string, int, string) string),
			},
		},
		{
			Name: "padLeft", Category: catStrings,
			Signature: "padLeft(s string, n int[, pad string]) string",
			Doc:       "Prepends pad (default: a space), repeated as needed, until s is n characters long; a longer s is returned unchanged, never cut. Fails on null or an empty pad.",
			Examples: []Example{
				{`padLeft("42", 6, "0")`, `"000042"`},
				{`padLeft(string(7), 3, "0")`, `"007"`},
			},
			Fn: padLeftFn,
			Types: []any{
				new(func(string, int) string),
				new(func(string, int, string) string),
			},
		},
		{
			Name: "padRight", Category: catStrings,
			Signature: "padRight(s string, n int[, pad string]) string",
			Doc:       "Appends pad (default: a space), repeated as needed, until s is n characters long; a longer s is returned unchanged, never cut. Fails on null or an empty pad.",
			Examples:  []Example{{`padRight("AB", 5, ".")`, `"AB..."`}},
			Fn:        padRightFn,
			Types: []any{
				new(func(string, int) string),
				new(func(string, int, string) string),
			},
		},
		{
			Name: "joinNonEmpty", Category: catStrings,
			Signature: "joinNonEmpty(sep string, values ...any) string",
			Doc: "Joins the values that are not null or blank with sep, like SQL's CONCAT_WS: the way to build an address or full name from nullable parts. " +
				"Lists are joined element by element, numbers and booleans are written in plain form, times in RFC 3339.",
			Examples: []Example{
				{`joinNonEmpty(", ", "1 High St", nil, "  ", "Leeds")`, `"1 High St, Leeds"`},
				{`joinNonEmpty(" ", ["Flat", 4], "B")`, `"Flat 4 B"`},
				{`joinNonEmpty("-", nil)`, `""`},
			},
			Fn:    joinNonEmptyFn,
			Types: []any{new(func(string, ...any) string)},
		},
	}
}

func titleCaseFn(args ...any) (any, error) {
	if err := checkArity("titleCase", args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString("titleCase", "s", args[0])
	if err != nil {
		return nil, err
	}
	out, changed := titleCase(s)
	if !changed {
		return args[0], nil // no allocation for already title-cased input
	}
	return out, nil
}

// titleCase returns the title-cased s and whether it differs from s. It only
// allocates when it has to change something, and it copies bytes it does not
// change verbatim (so invalid UTF-8 passes through untouched).
func titleCase(s string) (string, bool) {
	var (
		b        strings.Builder
		changed  bool
		inWord   bool
		capNext  bool // the next letter starts a word part (after O', D', L')
		wordLen  int  // word characters seen in the current word
		firstLow rune // the current word's first character, lower-cased
	)
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		out := r
		switch {
		case isWordRune(r):
			if !inWord {
				inWord, wordLen, firstLow = true, 0, toLower(r)
				out = toTitle(r)
			} else if capNext {
				out = toTitle(r)
			} else {
				out = toLower(r)
			}
			capNext = false
			wordLen++
		case r == '\'' || r == '’':
			capNext = inWord && wordLen == 1 && (firstLow == 'o' || firstLow == 'd' || firstLow == 'l')
		default:
			inWord, capNext = false, false
		}
		if out != r && !changed {
			changed = true
			b.Grow(len(s) + utf8.UTFMax)
			b.WriteString(s[:i])
		}
		if changed {
			if out != r {
				b.WriteRune(out)
			} else {
				b.WriteString(s[i : i+size])
			}
		}
		i += size
	}
	if !changed {
		return s, false
	}
	return b.String(), true
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func toLower(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

func toTitle(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	return unicode.ToTitle(r)
}

func normalizeSpaceFn(args ...any) (any, error) {
	if err := checkArity("normalizeSpace", args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString("normalizeSpace", "s", args[0])
	if err != nil {
		return nil, err
	}
	out, changed := normalizeSpace(s)
	if !changed {
		return args[0], nil
	}
	return out, nil
}

// normalizeSpace trims s and collapses inner runs of white space to one ASCII
// space, reporting whether the result differs from s.
func normalizeSpace(s string) (string, bool) {
	clean := true
	prevSpace := true // so that leading space counts as "needs work"
	for i := 0; i < len(s) && clean; {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isSpace(r) {
			clean = !prevSpace && r == ' '
			prevSpace = true
		} else {
			prevSpace = false
		}
		i += size
	}
	if clean && (s == "" || !prevSpace) {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isSpace(r) {
			pending = b.Len() > 0
		} else {
			if pending {
				b.WriteByte(' ')
				pending = false
			}
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String(), true
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return unicode.IsSpace(r)
}

// isBlankString reports whether s is empty or only white space.
func isBlankString(s string) bool {
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if !isSpace(r) {
			return false
		}
		i += size
	}
	return true
}

// leftRunes returns the first n code points of s (all of s if shorter).
func leftRunes(s string, n int) string {
	i := 0
	for k := 0; k < n; k++ {
		if i >= len(s) {
			return s
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	return s[:i]
}

// rightRunes returns the last n code points of s (all of s if shorter).
func rightRunes(s string, n int) string {
	i := len(s)
	for k := 0; k < n; k++ {
		if i <= 0 {
			return s
		}
		if s[i-1] < utf8.RuneSelf {
			i--
		} else {
			_, size := utf8.DecodeLastRuneInString(s[:i])
			i -= size
		}
	}
	return s[i:]
}

// stringAndLength reads the (s string, n int) arguments shared by left, right,
// truncate and the pad functions.
func stringAndLength(fn string, args []any) (string, int, error) {
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return "", 0, err
	}
	n, err := argInt(fn, "n", args[1])
	if err != nil {
		return "", 0, err
	}
	if n < 0 {
		return "", 0, errNegative(fn, n)
	}
	return s, n, nil
}

func errNegative(fn string, n int) error {
	return errorf(fn, "n must not be negative, got %d", n)
}

func leftFn(args ...any) (any, error) {
	if err := checkArity("left", args, 2, 2); err != nil {
		return nil, err
	}
	s, n, err := stringAndLength("left", args)
	if err != nil {
		return nil, err
	}
	if out := leftRunes(s, n); len(out) != len(s) {
		return out, nil
	}
	return args[0], nil
}

func rightFn(args ...any) (any, error) {
	if err := checkArity("right", args, 2, 2); err != nil {
		return nil, err
	}
	s, n, err := stringAndLength("right", args)
	if err != nil {
		return nil, err
	}
	if out := rightRunes(s, n); len(out) != len(s) {
		return out, nil
	}
	return args[0], nil
}

func truncateFn(args ...any) (any, error) {
	if err := checkArity("truncate", args, 2, 3); err != nil {
		return nil, err
	}
	s, n, err := stringAndLength("truncate", args)
	if err != nil {
		return nil, err
	}
	suffix := ""
	if len(args) == 3 {
		if suffix, err = argString("truncate", "suffix", args[2]); err != nil {
			return nil, err
		}
	}
	cut := leftRunes(s, n)
	if len(cut) == len(s) {
		return args[0], nil // fits
	}
	if suffix == "" {
		return cut, nil
	}
	k := utf8.RuneCountInString(suffix)
	if k > n {
		return nil, errorf("truncate", "suffix %s is longer than n (%d)", quote(suffix), n)
	}
	return leftRunes(s, n-k) + suffix, nil
}

func padLeftFn(args ...any) (any, error)  { return padFn("padLeft", true, args) }
func padRightFn(args ...any) (any, error) { return padFn("padRight", false, args) }

func padFn(fn string, left bool, args []any) (any, error) {
	if err := checkArity(fn, args, 2, 3); err != nil {
		return nil, err
	}
	s, n, err := stringAndLength(fn, args)
	if err != nil {
		return nil, err
	}
	pad := " "
	if len(args) == 3 {
		if pad, err = argString(fn, "pad", args[2]); err != nil {
			return nil, err
		}
		if pad == "" {
			return nil, errorf(fn, "pad must not be empty")
		}
	}
	if n > maxPadLength {
		return nil, errorf(fn, "n must be at most %d, got %d", maxPadLength, n)
	}
	have := utf8.RuneCountInString(s)
	if have >= n {
		return args[0], nil
	}
	need := n - have
	var b strings.Builder
	b.Grow(len(s) + need*len(pad))
	if !left {
		b.WriteString(s)
	}
	for need > 0 {
		for _, r := range pad {
			if need == 0 {
				break
			}
			b.WriteRune(r)
			need--
		}
	}
	if left {
		b.WriteString(s)
	}
	return b.String(), nil
}

func joinNonEmptyFn(args ...any) (any, error) {
	if err := checkArity("joinNonEmpty", args, 1, -1); err != nil {
		return nil, err
	}
	sep, err := argString("joinNonEmpty", "sep", args[0])
	if err != nil {
		return nil, err
	}
	var buf [256]byte // typical addresses and names fit: one allocation, for the result
	b, wrote := buf[:0], false
	for _, v := range args[1:] {
		if b, wrote, err = appendNonEmpty(b, sep, wrote, v, 0); err != nil {
			return nil, err
		}
	}
	return string(b), nil
}

// appendNonEmpty appends v to b unless it is null or blank, preceded by sep
// if something was written already, and reports whether something has been
// written now. (It passes the slice by value, rather than through a pointer,
// so that the caller's buffer can stay on the stack.)
func appendNonEmpty(b []byte, sep string, wrote bool, v any, depth int) ([]byte, bool, error) {
	if v == nil {
		return b, wrote, nil
	}
	if s, ok := v.(string); ok && isBlankString(s) {
		return b, wrote, nil
	}
	if list, ok := v.([]any); ok {
		if depth > 0 {
			return b, wrote, errorf("joinNonEmpty", "cannot join nested lists")
		}
		var err error
		for _, e := range list {
			if b, wrote, err = appendNonEmpty(b, sep, wrote, e, depth+1); err != nil {
				return b, wrote, err
			}
		}
		return b, wrote, nil
	}
	start := len(b)
	if wrote {
		b = append(b, sep...)
	}
	switch x := v.(type) {
	case string:
		b = append(b, x...)
	case bool:
		b = strconv.AppendBool(b, x)
	case float64:
		b = strconv.AppendFloat(b, x, 'f', -1, 64)
	case float32:
		b = strconv.AppendFloat(b, float64(x), 'f', -1, 32)
	case time.Time:
		b = x.AppendFormat(b, time.RFC3339Nano)
	default:
		n, ok := toInt(v)
		if !ok {
			return b[:start], wrote, errType("joinNonEmpty", "values", "strings, numbers, booleans, times or lists", v)
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return b, true, nil
}
