package stdlib

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// E.164 allows at most 15 digits including the country code; the shortest
// numbers in use (small territories) have 7.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)

func contactFunctions() []Function {
	return []Function{
		{
			Name: "normalizeEmail", Category: catContact,
			Signature: "normalizeEmail(s string) string",
			Doc: "Trims and lower-cases an email address and checks that it is plausible (one @, a non-empty local part without spaces or special characters, a domain with a dot and valid labels); " +
				"it does not remove dots or +tags, which would merge distinct mailboxes. Fails on null or an invalid address: use isValidEmail to keep such rows.",
			Examples: []Example{
				{`normalizeEmail("  Jane.Doe+CRM@Example.COM ")`, `"jane.doe+crm@example.com"`},
				{`normalizeEmail("jane.doe@example")`, `error: normalizeEmail: "jane.doe@example" is not a valid email address: the domain has no dot`},
				{`isValidEmail("n/a") ? normalizeEmail("n/a") : nil`, `nil`},
			},
			Fn:    normalizeEmailFn,
			Types: []any{new(func(string) string)},
		},
		{
			Name: "isValidEmail", Category: catContact,
			Signature: "isValidEmail(s string) bool",
			Doc:       "Reports whether normalizeEmail would accept s; false on null.",
			Examples: []Example{
				{`isValidEmail(" Jane@Example.com")`, `true`},
				{`isValidEmail("jane@@example.com")`, `false`},
			},
			Fn:    isValidEmailFn,
			Types: []any{new(func(string) bool)},
		},
		{
			Name: "normalizePhone", Category: catContact,
			Signature: "normalizePhone(s string[, defaultCountryCode string|int]) string",
			Doc: "Rewrites a phone number as +<digits> (E.164 form): drops spaces, dots, dashes, slashes and parentheses (and a \"(0)\" after the country code), reads a leading 00 as +, " +
				"and prefixes defaultCountryCode when there is neither, first dropping one national trunk 0 (not for Italy, 39; for 1 and 7, a leading 1 or 8 on an 11-digit number). " +
				"Fails on null, letters (extensions are not supported), no country code, or fewer than 7 or more than 15 digits.",
			Examples: []Example{
				{`normalizePhone("+44 (0)20 7946 0000")`, `"+442079460000"`},
				{`normalizePhone("020 7946 0000", "44")`, `"+442079460000"`},
				{`normalizePhone("(415) 555-2671", 1)`, `"+14155552671"`},
				{`normalizePhone("0033 6 12 34 56 78")`, `"+33612345678"`},
				{`normalizePhone("555-2671")`, `error: normalizePhone: "555-2671" has no country code (+ or 00) and no default country code was given`},
			},
			Fn: normalizePhoneFn,
			Types: []any{
				new(func(string) string),
				new(func(string, string) string),
				new(func(string, int) string),
			},
		},
		{
			Name: "isValidPhone", Category: catContact,
			Signature: "isValidPhone(s string[, defaultCountryCode string|int]) bool",
			Doc:       "Reports whether normalizePhone would accept s; false on null. Fails only on an invalid defaultCountryCode.",
			Examples: []Example{
				{`isValidPhone("+1 415 555 2671")`, `true`},
				{`isValidPhone("call me", "44")`, `false`},
			},
			Fn: isValidPhoneFn,
			Types: []any{
				new(func(string) bool),
				new(func(string, string) bool),
				new(func(string, int) bool),
			},
		},
		{
			Name: "domainOf", Category: catContact,
			Signature: "domainOf(s string) string",
			Doc: "The lower-cased domain of an email address or website (with or without scheme, path, port or credentials), without a leading \"www.\", for matching contacts to accounts; " +
				"other subdomains are kept. Fails on null or when s has no domain with a dot.",
			Examples: []Example{
				{`domainOf("Jane.Doe@Contoso.com")`, `"contoso.com"`},
				{`domainOf("https://www.contoso.com:443/about?x=1")`, `"contoso.com"`},
				{`domainOf("shop.contoso.co.uk/")`, `"shop.contoso.co.uk"`},
			},
			Fn:    domainOfFn,
			Types: []any{new(func(string) string)},
		},
		{
			Name: "firstName", Category: catContact,
			Signature: "firstName(fullName string) string",
			Doc: "The given name(s) of a full name, split as lastName describes: everything before the last name, without a leading title (Mr, Mrs, Ms, Miss, Mx, Dr, Prof); " +
				"\"\" for a single word. Case is kept. Fails on null.",
			Examples: []Example{
				{`firstName("Dr. Mary Ann Smith")`, `"Mary Ann"`},
				{`firstName("Doe, Jane")`, `"Jane"`},
				{`firstName("Madonna")`, `""`},
			},
			Fn:    firstNameFn,
			Types: []any{new(func(string) string)},
		},
		{
			Name: "lastName", Category: catContact,
			Signature: "lastName(fullName string) string",
			Doc: "The family name of a full name: the part before a comma (\"Doe, Jane\"), else the last word together with preceding particles (van, von, de, da, di, del, della, der, den, du, la, le, dos, das, ter, ten, al, bin, ibn) " +
				"and following suffixes (Jr, Sr, II, III, IV); a single word is a last name, as CRMs require one. A heuristic: check the results on your data. Fails on null.",
			Examples: []Example{
				{`lastName("Ludwig van Beethoven")`, `"van Beethoven"`},
				{`lastName("Martin Luther King, Jr.")`, `"King Jr."`},
				{`lastName("Madonna")`, `"Madonna"`},
			},
			Fn:    lastNameFn,
			Types: []any{new(func(string) string)},
		},
	}
}

// Email.

func normalizeEmail(s string) (string, string) {
	t := strings.ToLower(strings.TrimSpace(s)) // both return their input when there is nothing to do
	return t, emailProblem(t)
}

// emailProblem explains why a trimmed, lower-cased address is invalid, or
// returns "". It accepts what real mailboxes use, not every RFC 5322 form:
// quoted local parts and IP-literal domains are rejected.
func emailProblem(s string) string {
	if s == "" {
		return "it is empty"
	}
	if len(s) > 254 {
		return "it is longer than 254 characters"
	}
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return "it has no @"
	}
	local, domain := s[:at], s[at+1:]
	if strings.IndexByte(domain, '@') >= 0 {
		return "it has more than one @"
	}
	if local == "" {
		return "nothing before the @"
	}
	if len(local) > 64 {
		return "the part before the @ is longer than 64 characters"
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "misplaced dot before the @"
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return "it contains " + strconv.QuoteRune(r)
		}
	}
	if domain == "" {
		return "nothing after the @"
	}
	if p := domainProblem(domain); p != "" {
		return p
	}
	return ""
}

// domainProblem checks a lower-cased host name.
func domainProblem(domain string) string {
	if strings.IndexByte(domain, '.') < 0 {
		return "the domain has no dot"
	}
	if len(domain) > 253 {
		return "the domain is longer than 253 characters"
	}
	rest := domain
	for rest != "" {
		label := rest
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			label, rest = rest[:i], rest[i+1:]
			if rest == "" {
				return "the domain ends with a dot"
			}
		} else {
			rest = ""
		}
		if label == "" {
			return "misplaced dot in the domain"
		}
		if len(label) > 63 {
			return "a domain label is longer than 63 characters"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "a domain label starts or ends with -"
		}
		for _, r := range label {
			if !(r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))) {
				return "the domain contains " + strconv.QuoteRune(r)
			}
		}
		if rest == "" { // top-level domain
			if utf8.RuneCountInString(label) < 2 {
				return "the top-level domain is too short"
			}
			if strings.Trim(label, "0123456789") == "" {
				return "the top-level domain is a number"
			}
		}
	}
	return ""
}

func normalizeEmailFn(args ...any) (any, error) {
	const fn = "normalizeEmail"
	if err := checkArity(fn, args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	t, problem := normalizeEmail(s)
	if problem != "" {
		return nil, errorf(fn, "%s is not a valid email address: %s", quote(s), problem)
	}
	if t == s {
		return args[0], nil // already normalised: no allocation
	}
	return t, nil
}

func isValidEmailFn(args ...any) (any, error) {
	const fn = "isValidEmail"
	if err := checkArity(fn, args, 1, 1); err != nil {
		return nil, err
	}
	if args[0] == nil {
		return false, nil
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	_, problem := normalizeEmail(s)
	return problem == "", nil
}

// Phone.

// countryCode reads the optional defaultCountryCode argument: 1 to 3 digits,
// as an int or a string with an optional leading + or 00.
func countryCode(fn string, args []any) (string, error) {
	if len(args) < 2 {
		return "", nil
	}
	var cc string
	switch v := args[1].(type) {
	case string:
		cc = strings.TrimSpace(v)
		cc = strings.TrimPrefix(cc, "+")
		if len(cc) > 3 {
			cc = strings.TrimPrefix(cc, "00")
		}
	case nil:
		return "", errNull(fn, "defaultCountryCode")
	default:
		n, ok := toInt(v)
		if !ok {
			return "", errType(fn, "defaultCountryCode", "a string or an integer", v)
		}
		cc = strconv.Itoa(n)
	}
	valid := len(cc) >= 1 && len(cc) <= 3 && cc[0] != '0'
	for i := 0; i < len(cc) && valid; i++ {
		valid = '0' <= cc[i] && cc[i] <= '9'
	}
	if !valid {
		return "", errorf(fn, "defaultCountryCode must be 1 to 3 digits such as \"44\" or 1, got %v", args[1])
	}
	return cc, nil
}

// normalizePhone returns the E.164 form of s, or a problem description.
func normalizePhone(s, cc string) (string, string) {
	var digits [maxPhoneDigits + 8]byte
	n := 0
	plus := false
	t := strings.TrimSpace(s)
	if t == "" {
		return "", "is empty"
	}
	for i := 0; i < len(t); {
		r, size := rune(t[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(t[i:])
		}
		switch {
		case '0' <= r && r <= '9':
			if n == len(digits) {
				return "", "is too long (more than 15 digits)"
			}
			digits[n] = byte(r)
			n++
		case r == '+':
			if n > 0 || plus {
				return "", "has a misplaced +"
			}
			plus = true
		case r == '(' && strings.HasPrefix(t[i:], "(0)") && (plus || n >= 2 && digits[0] == '0' && digits[1] == '0'):
			size = 3 // "+44 (0)20": the trunk 0 is not dialled from abroad
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || unicode.IsSpace(r) || unicode.Is(unicode.Pd, r):
			// formatting
		case unicode.IsLetter(r):
			return "", "contains letters (extensions are not supported)"
		default:
			return "", "contains " + strconv.QuoteRune(r)
		}
		i += size
	}
	d := digits[:n]
	if len(d) == 0 {
		return "", "has no digits"
	}
	var out [1 + 3 + len(digits)]byte
	o := append(out[:0], '+')
	switch {
	case plus:
		o = append(o, d...)
	case len(d) >= 2 && d[0] == '0' && d[1] == '0':
		o = append(o, d[2:]...)
	case cc == "":
		return "", "has no country code (+ or 00) and no default country code was given"
	default:
		switch {
		case cc == "1" && len(d) == 11 && d[0] == '1', // NANP: 1 415 555 2671
			cc == "7" && len(d) == 11 && d[0] == '8': // Russia, Kazakhstan: 8 495 ...
			d = d[1:]
		case cc != "39" && d[0] == '0': // national trunk prefix, kept in Italy
			d = d[1:]
		}
		o = append(o, cc...)
		o = append(o, d...)
	}
	switch {
	case len(o) < 1+minPhoneDigits:
		return "", "is too short"
	case len(o) > 1+maxPhoneDigits:
		return "", "is too long (more than 15 digits)"
	case o[1] == '0':
		return "", "has a country code starting with 0"
	}
	if string(o) == s {
		return s, "" // already E.164: no allocation
	}
	return string(o), ""
}

func normalizePhoneFn(args ...any) (any, error) {
	const fn = "normalizePhone"
	if err := checkArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	cc, err := countryCode(fn, args)
	if err != nil {
		return nil, err
	}
	out, problem := normalizePhone(s, cc)
	if problem != "" {
		return nil, errorf(fn, "%s %s", quote(s), problem)
	}
	if out == s {
		return args[0], nil
	}
	return out, nil
}

func isValidPhoneFn(args ...any) (any, error) {
	const fn = "isValidPhone"
	if err := checkArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	cc, err := countryCode(fn, args)
	if err != nil {
		return nil, err
	}
	if args[0] == nil {
		return false, nil
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	_, problem := normalizePhone(s, cc)
	return problem == "", nil
}

// Domains.

func domainOfFn(args ...any) (any, error) {
	const fn = "domainOf"
	if err := checkArity(fn, args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	host := strings.ToLower(strings.TrimSpace(s))
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 { // email, or user:password@ in a URL
		host = host[i+1:]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 { // port
		host = host[:i]
	}
	host = strings.TrimSuffix(host, ".")
	host = strings.TrimPrefix(host, "www.")
	if host == "" {
		return nil, errorf(fn, "%s has no domain", quote(s))
	}
	if p := domainProblem(host); p != "" {
		return nil, errorf(fn, "%s has no valid domain: %s", quote(s), p)
	}
	if host == s {
		return args[0], nil
	}
	return host, nil
}

// Names.

var (
	nameTitles    = wordSet("mr", "mrs", "ms", "miss", "mx", "dr", "prof")
	nameSuffixes  = wordSet("jr", "sr", "ii", "iii", "iv")
	nameParticles = wordSet("van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "la", "le", "dos", "das", "ter", "ten", "al", "bin", "ibn")
)

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// isNameWord reports whether w (any case, with an optional trailing dot or
// comma) is in set.
func isNameWord(set map[string]bool, w string) bool {
	w = strings.TrimRight(w, ".,")
	if len(w) > 5 {
		return false
	}
	var buf [5]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return set[string(buf[:len(w)])]
}

// splitName splits a full name into given names and family name; see the
// docs of firstName and lastName.
func splitName(s string) (first, last string) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		before, after := strings.Fields(s[:i]), strings.Fields(s[i+1:])
		allSuffixes := true
		for _, w := range after {
			allSuffixes = allSuffixes && isNameWord(nameSuffixes, w)
		}
		if len(before) > 0 && !allSuffixes { // "Doe, Jane"
			for len(after) > 1 && isNameWord(nameTitles, after[0]) {
				after = after[1:]
			}
			return strings.Join(after, " "), strings.Join(before, " ")
		}
		s = s[:i] + " " + s[i+1:] // "King, Jr."
	}
	words := strings.Fields(s)
	for len(words) > 1 && isNameWord(nameTitles, words[0]) {
		words = words[1:]
	}
	end := len(words)
	for end > 1 && isNameWord(nameSuffixes, words[end-1]) {
		end--
	}
	if end <= 1 {
		return "", strings.Join(words, " ")
	}
	start := end - 1
	for start > 1 && isNameWord(nameParticles, words[start-1]) {
		start--
	}
	return strings.Join(words[:start], " "), strings.Join(words[start:], " ")
}

func firstNameFn(args ...any) (any, error) {
	if err := checkArity("firstName", args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString("firstName", "fullName", args[0])
	if err != nil {
		return nil, err
	}
	first, _ := splitName(s)
	return first, nil
}

func lastNameFn(args ...any) (any, error) {
	if err := checkArity("lastName", args, 1, 1); err != nil {
		return nil, err
	}
	s, err := argString("lastName", "fullName", args[0])
	if err != nil {
		return nil, err
	}
	_, last := splitName(s)
	return last, nil
}
