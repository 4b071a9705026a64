// Package segment generates a deterministic synthetic "warehouse segment": the
// kind of customer table a reverse-ETL pipeline syncs into a CRM. It exists
// for benchmarks and tests, which need realistic, reproducible data of any
// size without shipping large fixtures.
//
// The data is shaped so that the usual pipeline steps have work to do: about
// 5% of rows repeat an earlier row's email differing only in case or
// surrounding spaces (dedupe), 3% have no email, some have no last name,
// lifetime values are mostly below 1,000 with a long tail, about two thirds
// of customers are active (filters), and some company names contain commas
// or quotes, so CSV quoting is exercised.
package segment

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Header is the generated CSV header, in column order.
var Header = []string{
	"customer_id", "email", "first_name", "last_name", "company", "website", "phone",
	"city", "country", "lifetime_value", "is_active", "updated_at", "segment",
}

// Options control the generated data.
type Options struct {
	Rows int
	Seed uint64
}

// Write writes opts.Rows rows of CSV, header first, to w. The same options
// always produce the same bytes.
func Write(w io.Writer, opts Options) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newGenerator(opts.Seed)
	line := make([]byte, 0, 512)
	for i, h := range Header {
		if i > 0 {
			line = append(line, ',')
		}
		line = append(line, h...)
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return err
	}
	for i := range opts.Rows {
		line = g.appendRow(line[:0], i)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// recentEmails is how many earlier emails a duplicate may copy.
const recentEmails = 4096

type generator struct {
	rnd    *rand.Rand
	recent [][]byte
	next   int
	base   time.Time
}

func newGenerator(seed uint64) *generator {
	return &generator{
		rnd:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		recent: make([][]byte, 0, recentEmails),
		base:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func (g *generator) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

// appendRow appends row i as a CSV line.
func (g *generator) appendRow(b []byte, i int) []byte {
	first := g.pick(firstNames)
	last := g.pick(lastNames)
	if g.rnd.IntN(100) < 4 {
		last = ""
	}
	companyBase := g.pick(companyWords)
	suffix := g.pick(companySuffixes)

	b = strconv.AppendInt(b, int64(1_000_000+i), 10)
	b = append(b, ',')
	b = g.appendEmail(b, first, last, companyBase)
	b = append(b, ',')
	b = append(b, first...)
	b = append(b, ',')
	b = append(b, last...)
	b = append(b, ',')
	switch r := g.rnd.IntN(100); {
	case r < 4: // a comma: the field must be quoted
		b = append(b, '"')
		b = append(b, companyBase...)
		b = append(b, ", "...)
		b = append(b, suffix...)
		b = append(b, '"')
	case r < 5: // embedded quotes, doubled
		b = append(b, `"The ""`...)
		b = append(b, companyBase...)
		b = append(b, `"" `...)
		b = append(b, suffix...)
		b = append(b, '"')
	default:
		b = append(b, companyBase...)
		b = append(b, ' ')
		b = append(b, suffix...)
	}
	b = append(b, ',')
	b = append(b, "https://www."...)
	b = appendLower(b, companyBase)
	b = append(b, g.pick(tlds)...)
	b = append(b, ',')
	b = append(b, '+')
	b = strconv.AppendInt(b, int64(1+g.rnd.IntN(99)), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(200+g.rnd.IntN(800)), 10)
	b = append(b, ' ')
	b = appendPadded(b, g.rnd.IntN(10_000_000), 7)
	b = append(b, ',')
	city := g.rnd.IntN(len(cities))
	b = append(b, cities[city].name...)
	b = append(b, ',')
	b = append(b, cities[city].country...)
	b = append(b, ',')
	b = g.appendLifetimeValue(b)
	b = append(b, ',')
	if g.rnd.IntN(100) < 65 {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = append(b, ',')
	updated := g.base.Add(time.Duration(g.rnd.Int64N(int64(700 * 24 * time.Hour))).Truncate(time.Second))
	b = updated.AppendFormat(b, time.RFC3339)
	b = append(b, ',')
	b = append(b, g.pick(segments)...)
	return append(b, '\n')
}

// appendEmail appends a fresh email, a near-duplicate of a recent one (5%),
// or nothing (3%).
func (g *generator) appendEmail(b []byte, first, last, company string) []byte {
	r := g.rnd.IntN(100)
	switch {
	case r < 3:
		return b
	case r < 8 && len(g.recent) > 0:
		prev := g.recent[g.rnd.IntN(len(g.recent))]
		switch g.rnd.IntN(3) {
		case 0:
			return appendUpper(b, string(prev))
		case 1:
			b = append(b, ' ')
			b = append(b, prev...)
			return append(b, ' ')
		default:
			b = append(b, prev...)
			return append(b, "  "...)
		}
	}
	start := len(b)
	b = appendLower(b, first)
	b = append(b, '.')
	if last != "" {
		b = appendLower(b, last)
	} else {
		b = append(b, 'x')
	}
	b = strconv.AppendInt(b, int64(g.rnd.IntN(10_000)), 10)
	b = append(b, '@')
	b = appendLower(b, company)
	b = append(b, g.pick(tlds)...)
	g.remember(b[start:])
	return b
}

func (g *generator) remember(email []byte) {
	if len(g.recent) < recentEmails {
		g.recent = append(g.recent, append([]byte(nil), email...))
		return
	}
	slot := g.recent[g.next]
	g.recent[g.next] = append(slot[:0], email...)
	g.next = (g.next + 1) % recentEmails
}

// appendLifetimeValue appends a log-normal amount with cents: median about
// 250, most below 1,000, and 1% of big accounts worth 25 times more.
func (g *generator) appendLifetimeValue(b []byte) []byte {
	v := math.Exp(5.5 + 1.1*g.rnd.NormFloat64())
	switch r := g.rnd.IntN(100); {
	case r < 2:
		v = 0
	case r < 3: // the big accounts
		v *= 25
	}
	cents := int64(math.Round(v * 100))
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	return appendPadded(b, int(cents%100), 2)
}

func appendPadded(b []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c == ' ' || c == '\'' || c == '&':
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendUpper(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
