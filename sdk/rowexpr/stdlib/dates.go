package stdlib

import (
	"errors"
	"math"
	"strings"
	"time"
)

func dateFunctions() []Function {
	return []Function{
		// expr builtins.
		{
			Name: "now", Category: catDates, Builtin: true,
			Signature: "now([tz location]) time",
			Doc: "The current time, in the machine's local time zone (or tz, from timezone()). It changes from row to row and run to run: " +
				"avoid it in hashed or deduplicated values, and prefer now().UTC() or a tz for portable output.",
			Examples: []Example{{`now() > date("2020-01-01")`, `true`}},
		},
		{
			Name: "date", Category: catDates, Builtin: true,
			Signature: "date(s string[, layout string[, tz string]]) time",
			Doc: "Parses s with a Go layout, or without one by trying 2006-01-02, 15:04:05, 2006-01-02 15:04:05, RFC 3339, RFC 822, RFC 850 and RFC 1123 in turn; times without a zone are UTC (or in tz). " +
				"parseTime adds named and %-style layouts and clearer errors.",
			Examples: []Example{
				{`date("2024-03-01")`, `2024-03-01T00:00:00Z`},
				{`date("2024-03-01 09:30:00", "2006-01-02 15:04:05", "Europe/Paris")`, `2024-03-01T09:30:00+01:00`},
			},
		},
		{
			Name: "duration", Category: catDates, Builtin: true,
			Signature: "duration(s string) duration",
			Doc:       "Parses a Go duration such as \"90m\", \"1h30m\" or \"-15s\" (units ns, us, ms, s, m, h). Add it to or subtract it from a time with + and -; subtracting two times gives a duration, whose .Hours() is a float.",
			Examples: []Example{
				{`date("2024-03-01") + duration("36h")`, `2024-03-02T12:00:00Z`},
				{`(date("2024-03-02") - date("2024-03-01")).Hours()`, `24.0`},
			},
		},
		{
			Name: "timezone", Category: catDates, Builtin: true,
			Signature: "timezone(name string) location",
			Doc:       "Loads an IANA time zone such as \"Europe/Paris\", for now(tz) and a time's .In(tz) method. Fails on an unknown name.",
			Examples: []Example{
				{`date("2024-07-01T12:00:00Z").In(timezone("Europe/Paris"))`, `2024-07-01T14:00:00+02:00`},
			},
		},

		// Sluice functions.
		{
			Name: "parseTime", Category: catDates,
			Signature: "parseTime(s string, layout string[, tz string]) time",
			Doc: "Parses s (surrounding white space ignored) with layout: a name (RFC3339, RFC3339Nano, RFC1123, RFC1123Z, RFC822, RFC822Z, RFC850, ANSIC, UnixDate, date = 2006-01-02, datetime = 2006-01-02 15:04:05, time = 15:04:05; any case), " +
				"a strftime pattern containing % (%Y-%m-%d %H:%M:%S), or a Go layout (2006-01-02). A time without a zone is taken as UTC, or in tz (an IANA name); fails on null or a value that does not match.",
			Examples: []Example{
				{`parseTime("2024-03-01", "date")`, `2024-03-01T00:00:00Z`},
				{`parseTime("2024-03-01T09:30:00.5+01:00", "RFC3339")`, `2024-03-01T09:30:00.5+01:00`},
				{`parseTime("3/1/2024 2:05 PM", "%m/%d/%Y %I:%M %p")`, `2024-03-01T14:05:00Z`},
				{`parseTime("01.03.2024", "02.01.2006")`, `2024-03-01T00:00:00Z`},
				{`parseTime("2024-03-01 09:30:00", "datetime", "Europe/Paris")`, `2024-03-01T09:30:00+01:00`},
				{`parseTime("2024-02-30", "date")`, `error: parseTime: cannot parse "2024-02-30" with layout "date": day out of range`},
			},
			Fn: parseTimeFn,
			Types: []any{
				new(func(string, string) time.Time),
				new(func(string, string, string) time.Time),
			},
		},
		{
			Name: "formatTime", Category: catDates,
			Signature: "formatTime(t time, layout string[, tz string]) string",
			Doc:       "Formats t with a named, % or Go layout as in parseTime, in t's own time zone or converted to tz (an IANA name) first. Fails on null.",
			Examples: []Example{
				{`formatTime(date("2024-03-01T09:30:00Z"), "%d/%m/%Y %H:%M")`, `"01/03/2024 09:30"`},
				{`formatTime(date("2024-03-01T09:30:00Z"), "RFC3339", "America/New_York")`, `"2024-03-01T04:30:00-05:00"`},
				{`formatTime(date("2024-03-01"), "Jan 2, 2006")`, `"Mar 1, 2024"`},
			},
			Fn: formatTimeFn,
			Types: []any{
				new(func(time.Time, string) string),
				new(func(time.Time, string, string) string),
			},
		},
		{
			Name: "addDays", Category: catDates,
			Signature: "addDays(t time, n int) time",
			Doc:       "Adds n calendar days (negative n subtracts), keeping the wall-clock time across daylight saving changes. Fails on null.",
			Examples: []Example{
				{`addDays(date("2024-02-28"), 2)`, `2024-03-01T00:00:00Z`},
				{`addDays(date("2024-03-01"), -1)`, `2024-02-29T00:00:00Z`},
			},
			Fn:    addDaysFn,
			Types: []any{new(func(time.Time, int) time.Time)},
		},
		{
			Name: "addMonths", Category: catDates,
			Signature: "addMonths(t time, n int) time",
			Doc:       "Adds n calendar months (negative n subtracts); a day that does not exist in the target month becomes its last day, so Jan 31 plus one month is Feb 28 or 29. Fails on null.",
			Examples: []Example{
				{`addMonths(date("2024-01-31"), 1)`, `2024-02-29T00:00:00Z`},
				{`addMonths(date("2024-03-15"), -12)`, `2023-03-15T00:00:00Z`},
			},
			Fn:    addMonthsFn,
			Types: []any{new(func(time.Time, int) time.Time)},
		},
		{
			Name: "diffDays", Category: catDates,
			Signature: "diffDays(from time, to time) int",
			Doc:       "The number of calendar days from from's date to to's date (negative if to is earlier), both dates taken in from's time zone; the time of day does not matter. Fails on null.",
			Examples: []Example{
				{`diffDays(date("2024-01-01"), date("2024-03-01"))`, `60`},
				{`diffDays(date("2024-03-01T23:00:00Z"), date("2024-03-02T01:00:00Z"))`, `1`},
				{`diffDays(date("2024-03-01"), date("2024-02-01"))`, `-29`},
			},
			Fn:    diffDaysFn,
			Types: []any{new(func(time.Time, time.Time) int)},
		},
		{
			Name: "startOfDay", Category: catDates,
			Signature: "startOfDay(t time) time",
			Doc:       "Midnight at the start of t's day, in t's time zone. Fails on null.",
			Examples:  []Example{{`startOfDay(date("2024-03-01T15:04:05Z"))`, `2024-03-01T00:00:00Z`}},
			Fn:        startOfDayFn,
			Types:     []any{new(func(time.Time) time.Time)},
		},
		{
			Name: "startOfMonth", Category: catDates,
			Signature: "startOfMonth(t time) time",
			Doc:       "Midnight on the first day of t's month, in t's time zone. Fails on null.",
			Examples:  []Example{{`startOfMonth(date("2024-03-15T15:04:05Z"))`, `2024-03-01T00:00:00Z`}},
			Fn:        startOfMonthFn,
			Types:     []any{new(func(time.Time) time.Time)},
		},
		{
			Name: "fromUnix", Category: catDates,
			Signature: "fromUnix(n int|float[, unit string]) time",
			Doc:       "The UTC time n units after 1970-01-01T00:00:00Z; unit is \"s\" (default), \"ms\", \"us\" or \"ns\", and a float keeps its fraction. Fails on null or an unknown unit.",
			Examples: []Example{
				{`fromUnix(1709251200)`, `2024-03-01T00:00:00Z`},
				{`fromUnix(1709251200123, "ms")`, `2024-03-01T00:00:00.123Z`},
				{`fromUnix(1709251200.5)`, `2024-03-01T00:00:00.5Z`},
			},
			Fn: fromUnixFn,
			Types: []any{
				new(func(int) time.Time),
				new(func(float64) time.Time),
				new(func(int, string) time.Time),
				new(func(float64, string) time.Time),
			},
		},
		{
			Name: "toUnix", Category: catDates,
			Signature: "toUnix(t time[, unit string]) int",
			Doc:       "The number of whole units (\"s\" by default, \"ms\", \"us\" or \"ns\") from 1970-01-01T00:00:00Z to t. Fails on null or an unknown unit.",
			Examples: []Example{
				{`toUnix(date("2024-03-01T00:00:00Z"))`, `1709251200`},
				{`toUnix(parseTime("2024-03-01T00:00:00.123Z", "RFC3339"), "ms")`, `1709251200123`},
			},
			Fn: toUnixFn,
			Types: []any{
				new(func(time.Time) int),
				new(func(time.Time, string) int),
			},
		},
	}
}

// Layouts.
//
// A layout argument is resolved once per distinct string and cached: first as
// a name (case-insensitive), then, if it contains %, as a strftime pattern,
// and otherwise it is a Go reference layout. Parsing and formatting resolve %
// patterns differently (when parsing, %m, %d, %H, %M, %S and %I also accept a
// single digit, as strptime does), so each has its own cache.

var namedLayouts = map[string]string{
	"rfc3339":     time.RFC3339,
	"rfc3339nano": time.RFC3339Nano,
	"rfc1123":     time.RFC1123,
	"rfc1123z":    time.RFC1123Z,
	"rfc822":      time.RFC822,
	"rfc822z":     time.RFC822Z,
	"rfc850":      time.RFC850,
	"ansic":       time.ANSIC,
	"unixdate":    time.UnixDate,
	"date":        time.DateOnly,
	"datetime":    time.DateTime,
	"time":        time.TimeOnly,
}

type resolvedLayout struct {
	layout string
	err    error
}

var (
	parseLayouts  = cache[resolvedLayout]{max: 256}
	formatLayouts = cache[resolvedLayout]{max: 256}
)

func resolveLayout(fn, layout string, parse bool) (string, error) {
	c := &formatLayouts
	if parse {
		c = &parseLayouts
	}
	r := c.get(layout, func(l string) resolvedLayout {
		goLayout, err := translateLayout(l, parse)
		return resolvedLayout{goLayout, err}
	})
	if r.err != nil {
		return "", errorf(fn, "layout %s: %v", quote(layout), r.err)
	}
	return r.layout, nil
}

func translateLayout(layout string, parse bool) (string, error) {
	if l, ok := namedLayouts[strings.ToLower(layout)]; ok {
		return l, nil
	}
	if strings.Contains(layout, "%") {
		return strftimeLayout(layout, parse)
	}
	if layout == "" {
		return "", errors.New("is empty")
	}
	for _, p := range []string{"yyyy", "YYYY", "yy", "dd", "DD", "HH", "hh"} {
		if strings.Contains(layout, p) {
			return "", errors.New(`looks like a Java or SQL pattern; write a Go layout such as "2006-01-02 15:04:05" or a strftime one such as "%Y-%m-%d %H:%M:%S"`)
		}
	}
	return layout, nil
}

// strftimeLayout translates a strftime pattern into a Go layout. Go layouts
// cannot escape literal text, so literal text that Go would read as a layout
// element (a digit, Jan, Mon, PM, ...) is rejected rather than silently
// misread: "Q3 %Y" would otherwise parse "3" as an hour.
func strftimeLayout(layout string, parse bool) (string, error) {
	var b strings.Builder
	literal := 0 // start of the pending literal text in layout
	for i := 0; i < len(layout); i++ {
		c := layout[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if err := checkLiteral(layout[literal:i]); err != nil {
			return "", err
		}
		literal = i + 2
		i++
		if i == len(layout) {
			return "", errors.New("ends with a lone %")
		}
		lenient := parse
		if layout[i] == '-' { // %-d: no padding, as in glibc
			lenient = true
			i++
			literal++
			if i == len(layout) {
				return "", errors.New("ends with a lone %-")
			}
		}
		pick := func(padded, bare string) string {
			if lenient {
				return bare
			}
			return padded
		}
		switch layout[i] {
		case 'Y':
			b.WriteString("2006")
		case 'y':
			b.WriteString("06")
		case 'm':
			b.WriteString(pick("01", "1"))
		case 'd':
			b.WriteString(pick("02", "2"))
		case 'e':
			b.WriteString("_2")
		case 'j':
			b.WriteString("002")
		case 'H':
			b.WriteString("15")
		case 'I':
			b.WriteString(pick("03", "3"))
		case 'M':
			b.WriteString(pick("04", "4"))
		case 'S':
			b.WriteString(pick("05", "5"))
		case 'f':
			s := b.String()
			if s == "" || (s[len(s)-1] != '.' && s[len(s)-1] != ',') {
				return "", errors.New("%f must follow a dot or a comma")
			}
			b.WriteString(pick("000000", "999999999"))
		case 'p':
			b.WriteString("PM")
		case 'b', 'h':
			b.WriteString("Jan")
		case 'B':
			b.WriteString("January")
		case 'a':
			b.WriteString("Mon")
		case 'A':
			b.WriteString("Monday")
		case 'z':
			b.WriteString("-0700")
		case ':':
			if i+1 < len(layout) && layout[i+1] == 'z' {
				i++
				literal++
				b.WriteString("-07:00")
				continue
			}
			return "", errors.New("unsupported directive %: (only %:z exists)")
		case 'Z':
			b.WriteString("MST")
		case 'F':
			b.WriteString(pick("2006-01-02", "2006-1-2"))
		case 'T':
			b.WriteString(pick("15:04:05", "15:4:5"))
		case '%':
			b.WriteByte('%')
		default:
			return "", errors.New("unsupported directive %" + string(layout[i]) +
				" (supported: %Y %y %m %d %e %j %H %I %M %S %f %p %b %B %a %A %z %:z %Z %F %T %%)")
		}
	}
	if err := checkLiteral(layout[min(literal, len(layout)):]); err != nil {
		return "", err
	}
	return b.String(), nil
}

// goLayoutWords are the letter sequences that start a Go layout element.
var goLayoutWords = []string{"Jan", "Mon", "MST", "PM", "pm", "_2", "Z07", "-07"}

func checkLiteral(text string) error {
	bad := strings.ContainsAny(text, "0123456789") || strings.HasSuffix(text, "_")
	for _, w := range goLayoutWords {
		bad = bad || strings.Contains(text, w)
	}
	if bad {
		return errors.New("literal text " + quote(text) + " would be read as a date element: " +
			"text between % directives cannot contain digits, Jan, Mon, MST, PM or pm")
	}
	return nil
}

// Time zones are loaded once per name: time.LoadLocation reads the zone
// database from disk on every call.
type loadedLocation struct {
	loc *time.Location
	err error
}

var locations = cache[loadedLocation]{max: 256}

func location(fn, name string) (*time.Location, error) {
	l := locations.get(name, func(n string) loadedLocation {
		loc, err := time.LoadLocation(n)
		return loadedLocation{loc, err}
	})
	if l.err != nil {
		return nil, errorf(fn, "unknown time zone %s", quote(name))
	}
	return l.loc, nil
}

func parseTimeFn(args ...any) (any, error) {
	const fn = "parseTime"
	if err := checkArity(fn, args, 2, 3); err != nil {
		return nil, err
	}
	s, err := argString(fn, "s", args[0])
	if err != nil {
		return nil, err
	}
	layout, err := argString(fn, "layout", args[1])
	if err != nil {
		return nil, err
	}
	goLayout, err := resolveLayout(fn, layout, true)
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if len(args) == 3 {
		tz, err := argString(fn, "tz", args[2])
		if err != nil {
			return nil, err
		}
		if loc, err = location(fn, tz); err != nil {
			return nil, err
		}
	}
	t, err := time.ParseInLocation(goLayout, strings.TrimSpace(s), loc)
	if err != nil {
		return nil, errorf(fn, "cannot parse %s with layout %s: %s", quote(s), quote(layout), parseReason(err))
	}
	return t, nil
}

// parseReason shortens time's parse errors, which repeat the whole value and
// layout, to the part that explains the problem.
func parseReason(err error) string {
	var pe *time.ParseError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	if pe.Message != "" {
		return strings.TrimPrefix(pe.Message, ": ")
	}
	if pe.ValueElem == "" {
		return "value ends before " + quote(pe.LayoutElem)
	}
	return "cannot read " + quote(pe.ValueElem) + " as " + quote(pe.LayoutElem)
}

func formatTimeFn(args ...any) (any, error) {
	const fn = "formatTime"
	if err := checkArity(fn, args, 2, 3); err != nil {
		return nil, err
	}
	t, err := argTime(fn, "t", args[0])
	if err != nil {
		return nil, err
	}
	layout, err := argString(fn, "layout", args[1])
	if err != nil {
		return nil, err
	}
	goLayout, err := resolveLayout(fn, layout, false)
	if err != nil {
		return nil, err
	}
	if len(args) == 3 {
		tz, err := argString(fn, "tz", args[2])
		if err != nil {
			return nil, err
		}
		loc, err := location(fn, tz)
		if err != nil {
			return nil, err
		}
		t = t.In(loc)
	}
	return t.Format(goLayout), nil
}

// timeAndInt reads the (t time, n int) arguments of addDays and addMonths.
func timeAndInt(fn string, args []any) (time.Time, int, error) {
	if err := checkArity(fn, args, 2, 2); err != nil {
		return time.Time{}, 0, err
	}
	t, err := argTime(fn, "t", args[0])
	if err != nil {
		return time.Time{}, 0, err
	}
	n, err := argInt(fn, "n", args[1])
	return t, n, err
}

func addDaysFn(args ...any) (any, error) {
	t, n, err := timeAndInt("addDays", args)
	if err != nil {
		return nil, err
	}
	return t.AddDate(0, 0, n), nil
}

func addMonthsFn(args ...any) (any, error) {
	t, n, err := timeAndInt("addMonths", args)
	if err != nil {
		return nil, err
	}
	return addMonths(t, n), nil
}

// addMonths adds n months, clamping the day to the target month's length
// (time.AddDate would roll Jan 31 + 1 month over to early March).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	months := int(m) - 1 + n
	y += months / 12
	months %= 12
	if months < 0 {
		months += 12
		y--
	}
	month := time.Month(months + 1)
	if last := daysIn(y, month); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(y, month, d, hh, mm, ss, t.Nanosecond(), t.Location())
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func diffDaysFn(args ...any) (any, error) {
	const fn = "diffDays"
	if err := checkArity(fn, args, 2, 2); err != nil {
		return nil, err
	}
	from, err := argTime(fn, "from", args[0])
	if err != nil {
		return nil, err
	}
	to, err := argTime(fn, "to", args[1])
	if err != nil {
		return nil, err
	}
	return civilDay(to.In(from.Location())) - civilDay(from), nil
}

// civilDay numbers t's calendar date (in t's location) in days since
// 1970-01-01, independently of daylight saving.
func civilDay(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func startOfDayFn(args ...any) (any, error) {
	if err := checkArity("startOfDay", args, 1, 1); err != nil {
		return nil, err
	}
	t, err := argTime("startOfDay", "t", args[0])
	if err != nil {
		return nil, err
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location()), nil
}

func startOfMonthFn(args ...any) (any, error) {
	if err := checkArity("startOfMonth", args, 1, 1); err != nil {
		return nil, err
	}
	t, err := argTime("startOfMonth", "t", args[0])
	if err != nil {
		return nil, err
	}
	y, m, _ := t.Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, t.Location()), nil
}

// unitNanos maps a unit name to its length in nanoseconds.
func unitNanos(fn string, args []any, i int) (int64, error) {
	if len(args) <= i {
		return int64(time.Second), nil
	}
	unit, err := argString(fn, "unit", args[i])
	if err != nil {
		return 0, err
	}
	switch unit {
	case "s":
		return int64(time.Second), nil
	case "ms":
		return int64(time.Millisecond), nil
	case "us", "µs":
		return int64(time.Microsecond), nil
	case "ns":
		return 1, nil
	}
	return 0, errorf(fn, "unknown unit %s (expected \"s\", \"ms\", \"us\" or \"ns\")", quote(unit))
}

func fromUnixFn(args ...any) (any, error) {
	const fn = "fromUnix"
	if err := checkArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	unit, err := unitNanos(fn, args, 1)
	if err != nil {
		return nil, err
	}
	perSecond := int64(time.Second) / unit
	if n, ok := toInt(args[0]); ok {
		sec, rest := int64(n)/perSecond, int64(n)%perSecond
		return time.Unix(sec, rest*unit).UTC(), nil
	}
	f, err := argFloat(fn, "n", args[0])
	if err != nil {
		return nil, err
	}
	secs := f / float64(perSecond)
	if math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > 1<<62 {
		return nil, errorf(fn, "n out of range: %v", f)
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(math.Round(frac*1e9))).UTC(), nil
}

func toUnixFn(args ...any) (any, error) {
	const fn = "toUnix"
	if err := checkArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	t, err := argTime(fn, "t", args[0])
	if err != nil {
		return nil, err
	}
	unit, err := unitNanos(fn, args, 1)
	if err != nil {
		return nil, err
	}
	switch unit {
	case int64(time.Second):
		return int(t.Unix()), nil
	case int64(time.Millisecond):
		return int(t.UnixMilli()), nil
	case int64(time.Microsecond):
		return int(t.UnixMicro()), nil
	}
	return int(t.UnixNano()), nil
}
