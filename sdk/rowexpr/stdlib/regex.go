package stdlib

import (
	"regexp"
)

// Patterns are compiled once and kept: in a row expression they are almost
// always string constants, so every row after the first is a cache hit.
var regexes = cache[compiledRegex]{max: 512}

type compiledRegex struct {
	re  *regexp.Regexp
	err error // a bad pattern is cached too, so it is not recompiled per row
}

func compileRegex(fn, pattern string) (*regexp.Regexp, error) {
	c := regexes.get(pattern, func(p string) compiledRegex {
		re, err := regexp.Compile(p)
		return compiledRegex{re, err}
	})
	if c.err != nil {
		return nil, errorf(fn, "invalid pattern %s: %v", quote(pattern), c.err)
	}
	return c.re, nil
}

func regexFunctions() []Function {
	return []Function{
		{
			Name: "regexMatch", Category: catRegex,
			Signature: "regexMatch(s string, pattern string) bool",
			Doc: "Reports whether s contains a match of the RE2 pattern (anchor it with ^ and $ to match the whole string); false when s is null, like the matches operator. " +
				"Prefer `s matches \"...\"` for a constant pattern; use regexMatch when the pattern comes from data, as it caches compiled patterns.",
			Examples: []Example{
				{`regexMatch("SO-12345", "^SO-[0-9]+$")`, `true`},
				{`regexMatch("so-12345", "^SO-")`, `false`},
				{`regexMatch("so-12345", "(?i)^SO-")`, `true`},
			},
			Fn:    regexMatchFn,
			Types: []any{new(func(string, string) bool)},
		},
		{
			Name: "regexExtract", Category: catRegex,
			Signature: "regexExtract(s string, pattern string[, group int]) string",
			Doc: "The first match of pattern in s: by default its first capturing group if the pattern has one, else the whole match; group 0 is the whole match, n the nth group. " +
				"Returns null when nothing matches; fails on a null s or an invalid pattern.",
			Examples: []Example{
				{`regexExtract("Order SO-12345 shipped", "SO-([0-9]+)")`, `"12345"`},
				{`regexExtract("Order SO-12345 shipped", "SO-([0-9]+)", 0)`, `"SO-12345"`},
				{`regexExtract("no order here", "SO-[0-9]+")`, `nil`},
				{`regexExtract("x", "(")`, "error: regexExtract: invalid pattern \"(\": error parsing regexp: missing closing ): `(`"},
			},
			Fn: regexExtractFn,
			Types: []any{
				new(func(string, string) string),
				new(func(string, string, int) string),
			},
		},
		{
			Name: "regexExtractAll", Category: catRegex,
			Signature: "regexExtractAll(s string, pattern string) list",
			Doc:       "Every non-overlapping match of pattern in s, as a list of strings (the first capturing group of each match if the pattern has one); an empty list when nothing matches. Fails on null.",
			Examples: []Example{
				{`regexExtractAll("tags: #etl #crm", "#([a-z]+)")`, `["etl", "crm"]`},
				{`regexExtractAll("none", "[0-9]+")`, `[]`},
			},
			Fn:    regexExtractAllFn,
			Types: []any{new(func(string, string) []any)},
		},
		{
			Name: "regexReplace", Category: catRegex,
			Signature: "regexReplace(s string, pattern string, replacement string) string",
			Doc: "Replaces every match of pattern in s by replacement, in which ${1} or ${name} stands for a capturing group (write ${1}, not $1, before letters or digits). " +
				"Fails on null or an invalid pattern.",
			Examples: []Example{
				{`regexReplace("+44 (0)20 7946-0000", "[^0-9+]", "")`, `"+4402079460000"`},
				{`regexReplace("Doe, Jane", "^(\\w+), (\\w+)$", "${2} ${1}")`, `"Jane Doe"`},
			},
			Fn:    regexReplaceFn,
			Types: []any{new(func(string, string, string) string)},
		},
	}
}

func regexMatchFn(args ...any) (any, error) {
	if err := checkArity("regexMatch", args, 2, 2); err != nil {
		return nil, err
	}
	pattern, err := argString("regexMatch", "pattern", args[1])
	if err != nil {
		return nil, err
	}
	re, err := compileRegex("regexMatch", pattern)
	if err != nil {
		return nil, err
	}
	if args[0] == nil {
		return false, nil // like the matches operator
	}
	s, err := argString("regexMatch", "s", args[0])
	if err != nil {
		return nil, err
	}
	return re.MatchString(s), nil
}

// stringAndRegex reads the (s string, pattern string) arguments.
func stringAndRegex(fn string, args []any) (string, *regexp.Regexp, error) {
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return "", nil, err
	}
	pattern, err := argString(fn, "pattern", args[1])
	if err != nil {
		return "", nil, err
	}
	re, err := compileRegex(fn, pattern)
	return s, re, err
}

func regexExtractFn(args ...any) (any, error) {
	if err := checkArity("regexExtract", args, 2, 3); err != nil {
		return nil, err
	}
	s, re, err := stringAndRegex("regexExtract", args)
	if err != nil {
		return nil, err
	}
	group := 0
	if re.NumSubexp() > 0 {
		group = 1
	}
	if len(args) == 3 {
		if group, err = argInt("regexExtract", "group", args[2]); err != nil {
			return nil, err
		}
		if group < 0 || group > re.NumSubexp() {
			return nil, errorf("regexExtract", "group %d does not exist: the pattern has %d capturing groups", group, re.NumSubexp())
		}
	}
	var m []int
	if group == 0 {
		m = re.FindStringIndex(s)
	} else {
		m = re.FindStringSubmatchIndex(s)
	}
	if m == nil || m[2*group] < 0 {
		return nil, nil // no match, or the group did not take part in it
	}
	return s[m[2*group]:m[2*group+1]], nil
}

func regexExtractAllFn(args ...any) (any, error) {
	if err := checkArity("regexExtractAll", args, 2, 2); err != nil {
		return nil, err
	}
	s, re, err := stringAndRegex("regexExtractAll", args)
	if err != nil {
		return nil, err
	}
	group := 0
	if re.NumSubexp() > 0 {
		group = 1
	}
	matches := re.FindAllStringSubmatchIndex(s, -1)
	out := make([]any, 0, len(matches))
	for _, m := range matches {
		if m[2*group] >= 0 {
			out = append(out, s[m[2*group]:m[2*group+1]])
		}
	}
	return out, nil
}

func regexReplaceFn(args ...any) (any, error) {
	if err := checkArity("regexReplace", args, 3, 3); err != nil {
		return nil, err
	}
	s, re, err := stringAndRegex("regexReplace", args)
	if err != nil {
		return nil, err
	}
	repl, err := argString("regexReplace", "replacement", args[2])
	if err != nil {
		return nil, err
	}
	return re.ReplaceAllString(s, repl), nil
}
