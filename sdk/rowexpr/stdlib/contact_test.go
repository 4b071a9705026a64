package stdlib

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `normalizeEmail("jane@example.com")`, want: "jane@example.com"},
		{expr: `normalizeEmail(" Jane.Doe@Example.COM\t")`, want: "jane.doe@example.com"},
		{expr: `normalizeEmail("jane+tag@sub.example.co.uk")`, want: "jane+tag@sub.example.co.uk"},
		{expr: `normalizeEmail("j.a.n.e@gmail.com")`, want: "j.a.n.e@gmail.com"}, // dots are kept
		{expr: `normalizeEmail("o'brien@example.ie")`, want: "o'brien@example.ie"},
		{expr: `normalizeEmail("ZOË@Bücher.DE")`, want: "zoë@bücher.de"},
		{expr: `normalizeEmail("x@xn--bcher-kva.de")`, want: "x@xn--bcher-kva.de"},
		{expr: `normalizeEmail("")`, err: `normalizeEmail: "" is not a valid email address: it is empty`},
		{expr: `normalizeEmail("   ")`, err: `it is empty`},
		{expr: `normalizeEmail("jane")`, err: `normalizeEmail: "jane" is not a valid email address: it has no @`},
		{expr: `normalizeEmail("jane@@example.com")`, err: `it has more than one @`},
		{expr: `normalizeEmail("@example.com")`, err: `nothing before the @`},
		{expr: `normalizeEmail("jane@")`, err: `nothing after the @`},
		{expr: `normalizeEmail("jane@localhost")`, err: `the domain has no dot`},
		{expr: `normalizeEmail("jane doe@example.com")`, err: `it contains ' '`},
		{expr: `normalizeEmail("<jane@example.com>")`, err: `it contains '<'`},
		{expr: `normalizeEmail(".jane@example.com")`, err: `misplaced dot before the @`},
		{expr: `normalizeEmail("jane..doe@example.com")`, err: `misplaced dot before the @`},
		{expr: `normalizeEmail("jane@example..com")`, err: `misplaced dot in the domain`},
		{expr: `normalizeEmail("jane@example.com.")`, err: `the domain ends with a dot`},
		{expr: `normalizeEmail("jane@-example.com")`, err: `a domain label starts or ends with -`},
		{expr: `normalizeEmail("jane@exa_mple.com")`, err: `the domain contains '_'`},
		{expr: `normalizeEmail("jane@example.c")`, err: `the top-level domain is too short`},
		{expr: `normalizeEmail("jane@10.0.0.123")`, err: `the top-level domain is a number`},
		{expr: `normalizeEmail(s)`, env: map[string]any{"s": strings.Repeat("a", 65) + "@example.com"}, err: `longer than 64 characters`},
		{expr: `normalizeEmail(s)`, env: map[string]any{"s": "a@" + strings.Repeat("b", 64) + ".com"}, err: `a domain label is longer than 63 characters`},
		{expr: `normalizeEmail(s)`, env: map[string]any{"s": strings.Repeat("a", 300)}, err: `"` + strings.Repeat("a", 64) + `"… is not a valid email address: it is longer than 254 characters`},
		{expr: `normalizeEmail(s)`, env: map[string]any{"s": nil}, err: "normalizeEmail: s is null"},
		{expr: `isValidEmail("jane@example.com")`, want: true},
		{expr: `isValidEmail("jane@example")`, want: false},
		{expr: `isValidEmail("")`, want: false},
		{expr: `isValidEmail(s)`, env: map[string]any{"s": nil}, want: false},
		{expr: `isValidEmail(s) ? normalizeEmail(s) : nil`, env: map[string]any{"s": "nope"}, want: nil},
	})
	compileFails(t, `normalizeEmail(1)`, `isValidEmail(1)`)
}

func TestNormalizePhone(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `normalizePhone("+442079460000")`, want: "+442079460000"},
		{expr: `normalizePhone("+44 20 7946 0000")`, want: "+442079460000"},
		{expr: `normalizePhone("+44 (0) 20 7946 0000")`, want: "+442079460000"},
		{expr: `normalizePhone("+44(0)2079460000")`, want: "+442079460000"},
		{expr: `normalizePhone("0044 (0)20 7946 0000")`, want: "+442079460000"},
		{expr: `normalizePhone("00442079460000")`, want: "+442079460000"},
		{expr: `normalizePhone("020 7946 0000", "44")`, want: "+442079460000"},
		{expr: `normalizePhone("020 7946 0000", "+44")`, want: "+442079460000"},
		{expr: `normalizePhone("020 7946 0000", 44)`, want: "+442079460000"},
		{expr: `normalizePhone("(0)20 7946 0000", "44")`, want: "+442079460000"},
		{expr: `normalizePhone("+44 20 7946 0000", "33")`, want: "+442079460000"}, // the default only applies without +
		{expr: `normalizePhone("06 12 34 56 78", "33")`, want: "+33612345678"},
		{expr: `normalizePhone("06.12.34.56.78", 33)`, want: "+33612345678"},
		{expr: `normalizePhone("030/1234567", "49")`, want: "+49301234567"},
		{expr: `normalizePhone("06 1234 5678", "39")`, want: "+390612345678"}, // Italy keeps the 0
		{expr: `normalizePhone("415-555-2671", "1")`, want: "+14155552671"},
		{expr: `normalizePhone("1 (415) 555-2671", "1")`, want: "+14155552671"},
		{expr: `normalizePhone("8 (495) 123-45-67", "7")`, want: "+74951234567"},
		{expr: `normalizePhone("+1\u00a0415\u2013555\u20132671")`, want: "+14155552671"}, // no-break space, en dashes
		{expr: `normalizePhone("  +33 6 12 34 56 78  ")`, want: "+33612345678"},
		{expr: `normalizePhone("+6834002")`, want: "+6834002"},
		{expr: `normalizePhone("+683400")`, err: `normalizePhone: "+683400" is too short`},
		{expr: `normalizePhone("+1234567890123456")`, err: `normalizePhone: "+1234567890123456" is too long (more than 15 digits)`},
		{expr: `normalizePhone("+12345678901234567890123456")`, err: `is too long (more than 15 digits)`},
		{expr: `normalizePhone("020 7946 0000")`, err: `normalizePhone: "020 7946 0000" has no country code (+ or 00) and no default country code was given`},
		{expr: `normalizePhone("555-2671 ext. 12", "1")`, err: `contains letters (extensions are not supported)`},
		{expr: `normalizePhone("+44 20 7946 0000#12")`, err: `contains '#'`},
		{expr: `normalizePhone("44+20")`, err: `has a misplaced +`},
		{expr: `normalizePhone("++44")`, err: `has a misplaced +`},
		{expr: `normalizePhone("")`, err: `normalizePhone: "" is empty`},
		{expr: `normalizePhone(" - ")`, err: `has no digits`},
		{expr: `normalizePhone("+0123456789")`, err: `has a country code starting with 0`},
		{expr: `normalizePhone("0207946000", "044")`, err: `normalizePhone: defaultCountryCode must be 1 to 3 digits such as "44" or 1, got 044`},
		{expr: `normalizePhone("0207946000", 1234)`, err: `defaultCountryCode must be 1 to 3 digits`},
		{expr: `normalizePhone("0207946000", "")`, err: `defaultCountryCode must be 1 to 3 digits`},
		{expr: `normalizePhone(s)`, env: map[string]any{"s": nil}, err: "normalizePhone: s is null"},
		{expr: `normalizePhone("1", s)`, env: map[string]any{"s": nil}, err: "normalizePhone: defaultCountryCode is null"},
		{expr: `isValidPhone("+44 20 7946 0000")`, want: true},
		{expr: `isValidPhone("020 7946 0000")`, want: false},
		{expr: `isValidPhone("020 7946 0000", 44)`, want: true},
		{expr: `isValidPhone(s, "44")`, env: map[string]any{"s": nil}, want: false},
		{expr: `isValidPhone("1", "x")`, err: "isValidPhone: defaultCountryCode must be 1 to 3 digits"},
	})
	compileFails(t, `normalizePhone(442079460000)`, `normalizePhone("1", 1.5)`, `normalizePhone("1", "2", "3")`, `isValidPhone(1)`)
}

func TestDomainOf(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `domainOf("contoso.com")`, want: "contoso.com"},
		{expr: `domainOf("jane@contoso.com")`, want: "contoso.com"},
		{expr: `domainOf(" Jane@Mail.Contoso.COM ")`, want: "mail.contoso.com"},
		{expr: `domainOf("www.contoso.com")`, want: "contoso.com"},
		{expr: `domainOf("WWW.Contoso.com.")`, want: "contoso.com"},
		{expr: `domainOf("http://contoso.com")`, want: "contoso.com"},
		{expr: `domainOf("https://user:pw@www.contoso.com:8443/a/b?c=d#e")`, want: "contoso.com"},
		{expr: `domainOf("contoso.com/about")`, want: "contoso.com"},
		{expr: `domainOf("contoso.com?ref=x")`, want: "contoso.com"},
		{expr: `domainOf("www2.contoso.com")`, want: "www2.contoso.com"},
		{expr: `domainOf("mailto:jane@contoso.com")`, want: "contoso.com"},
		{expr: `domainOf("https://bücher.de")`, want: "bücher.de"},
		{expr: `domainOf("")`, err: `domainOf: "" has no domain`},
		{expr: `domainOf("https://")`, err: `domainOf: "https://" has no domain`},
		{expr: `domainOf("localhost")`, err: `domainOf: "localhost" has no valid domain: the domain has no dot`},
		{expr: `domainOf("not a domain.com")`, err: `the domain contains ' '`},
		{expr: `domainOf(s)`, env: map[string]any{"s": nil}, err: "domainOf: s is null"},
	})
	compileFails(t, `domainOf(1)`)
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ in, first, last string }{
		{"Jane Doe", "Jane", "Doe"},
		{"  jane   doe ", "jane", "doe"},
		{"Mary Ann Smith", "Mary Ann", "Smith"},
		{"Doe, Jane", "Jane", "Doe"},
		{"Doe,Jane Mary", "Jane Mary", "Doe"},
		{"van Beethoven, Ludwig", "Ludwig", "van Beethoven"},
		{"Doe, Dr. Jane", "Jane", "Doe"},
		{"Doe Jr., John", "John", "Doe Jr."},
		{"Ludwig van Beethoven", "Ludwig", "van Beethoven"},
		{"Vincent Van Gogh", "Vincent", "Van Gogh"},
		{"Maria de la Cruz", "Maria", "de la Cruz"},
		{"Charles de Gaulle", "Charles", "de Gaulle"},
		{"Mohammed bin Salman", "Mohammed", "bin Salman"},
		{"Van Morrison", "Van", "Morrison"}, // a particle never takes the first word
		{"De Niro", "De", "Niro"},
		{"Mr. John Smith", "John", "Smith"},
		{"Dr Prof Jane Doe", "Jane", "Doe"},
		{"Mr Smith", "", "Smith"},
		{"Martin Luther King Jr.", "Martin Luther", "King Jr."},
		{"Martin Luther King, Jr.", "Martin Luther", "King Jr."},
		{"John Smith III", "John", "Smith III"},
		{"Madonna", "", "Madonna"},
		{"Jr", "", "Jr"},
		{"", "", ""},
		{"   ", "", ""},
		{"Zoë Brontë", "Zoë", "Brontë"},
		{"Jean-Luc Picard", "Jean-Luc", "Picard"},
	} {
		first, last := splitName(c.in)
		if first != c.first || last != c.last {
			t.Errorf("splitName(%q) = %q, %q; want %q, %q", c.in, first, last, c.first, c.last)
		}
	}
	runCases(t, []exprCase{
		{expr: `firstName("Jane Doe")`, want: "Jane"},
		{expr: `lastName("Jane Doe")`, want: "Doe"},
		{expr: `titleCase(lastName("LUDWIG VAN BEETHOVEN"))`, want: "Van Beethoven"},
		{expr: `firstName(s)`, env: map[string]any{"s": nil}, err: "firstName: fullName is null"},
		{expr: `lastName(s)`, env: map[string]any{"s": nil}, err: "lastName: fullName is null"},
	})
	compileFails(t, `firstName(1)`, `lastName()`)
}
