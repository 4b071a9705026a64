package stdlib

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	runCases(t, []exprCase{
		{expr: `parseTime("2024-03-01", "date")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime("2024-03-01", "DATE")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime(" 2024-03-01\n", "date")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime("2024-03-01 13:14:15", "datetime")`, want: time.Date(2024, 3, 1, 13, 14, 15, 0, time.UTC)},
		{expr: `parseTime("13:14:15", "time").Hour()`, want: 13},
		{expr: `parseTime("2024-03-01T13:14:15Z", "RFC3339")`, want: time.Date(2024, 3, 1, 13, 14, 15, 0, time.UTC)},
		{expr: `parseTime("2024-03-01T13:14:15.123456789Z", "rfc3339")`, want: time.Date(2024, 3, 1, 13, 14, 15, 123456789, time.UTC)},
		{expr: `parseTime("Fri, 01 Mar 2024 13:14:15 GMT", "RFC1123")`, want: time.Date(2024, 3, 1, 13, 14, 15, 0, time.UTC)},
		{expr: `parseTime("Fri, 01 Mar 2024 13:14:15 +0100", "RFC1123Z").UTC()`, want: time.Date(2024, 3, 1, 12, 14, 15, 0, time.UTC)},
		{expr: `parseTime("01/03/2024", "02/01/2006")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		// strftime patterns: lenient digits when parsing.
		{expr: `parseTime("2024-03-01 13:14:15", "%Y-%m-%d %H:%M:%S")`, want: time.Date(2024, 3, 1, 13, 14, 15, 0, time.UTC)},
		{expr: `parseTime("2024-3-1 9:05:07", "%Y-%m-%d %H:%M:%S")`, want: time.Date(2024, 3, 1, 9, 5, 7, 0, time.UTC)},
		{expr: `parseTime("20240301", "%Y%m%d")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime("01 March 24", "%d %B %y")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime("Fri 1 Mar 2024", "%a %e %b %Y")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime("2024-03-01T13:14:15.25+0100", "%Y-%m-%dT%H:%M:%S.%f%z").UTC()`, want: time.Date(2024, 3, 1, 12, 14, 15, 250000000, time.UTC)},
		{expr: `parseTime("2024-03-01 13:14:15 +01:00", "%F %T %:z").UTC()`, want: time.Date(2024, 3, 1, 12, 14, 15, 0, time.UTC)},
		{expr: `parseTime("2024-061", "%Y-%j")`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime("2024%", "%Y%%")`, want: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		// Literal text that Go would read as a layout element is refused.
		{expr: `parseTime("Q3 2024", "Q3 %Y")`, err: `parseTime: layout "Q3 %Y": literal text "Q3 " would be read as a date element`},
		{expr: `parseTime("2024 PMx", "%Y PMx")`, err: `literal text " PMx" would be read`},
		{expr: `parseTime("Month: 3", "Month: %m")`, err: `literal text "Month: " would be read`},
		{expr: `parseTime("2024_2", "%Y_%-d")`, err: `literal text "_" would be read`},
		{expr: `parseTime("Day 01 of 2024", "Day %d of %Y")`, want: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `parseTime("at 13h05", "at %Hh%M").Minute()`, want: 5},
		// Time zones.
		{expr: `parseTime("2024-07-01 09:30", "2006-01-02 15:04", "Europe/Paris")`, want: time.Date(2024, 7, 1, 9, 30, 0, 0, paris)},
		{expr: `parseTime("2024-07-01 09:30", "2006-01-02 15:04", "Europe/Paris").UTC()`, want: time.Date(2024, 7, 1, 7, 30, 0, 0, time.UTC)},
		{expr: `parseTime("2024-07-01T09:30:00Z", "RFC3339", "Europe/Paris").UTC()`, want: time.Date(2024, 7, 1, 9, 30, 0, 0, time.UTC)},
		{expr: `parseTime("2024-07-01", "date", "Mars/Olympus")`, err: `parseTime: unknown time zone "Mars/Olympus"`},
		// Errors.
		{expr: `parseTime("2024-13-01", "date")`, err: `parseTime: cannot parse "2024-13-01" with layout "date": month out of range`},
		{expr: `parseTime("01/03/2024", "date")`, err: `parseTime: cannot parse "01/03/2024" with layout "date": cannot read "01/03/2024" as "2006"`},
		{expr: `parseTime("2024-03-01x", "date")`, err: `parseTime: cannot parse "2024-03-01x" with layout "date": extra text: "x"`},
		{expr: `parseTime("2024-03", "date")`, err: `value ends before "-"`},
		{expr: `parseTime("", "date")`, err: `parseTime: cannot parse "" with layout "date"`},
		{expr: `parseTime("2024-03-01", "yyyy-MM-dd")`, err: `parseTime: layout "yyyy-MM-dd": looks like a Java or SQL pattern`},
		{expr: `parseTime("2024", "%Q")`, err: `parseTime: layout "%Q": unsupported directive %Q`},
		{expr: `parseTime("2024", "%Y%")`, err: `ends with a lone %`},
		{expr: `parseTime("13:14:15123", "%H:%M:%S%f")`, err: `%f must follow a dot or a comma`},
		{expr: `parseTime("x", "")`, err: `parseTime: layout "": is empty`},
		{expr: `parseTime("x", "%:x")`, err: `parseTime: layout "%:x": unsupported directive %: (only %:z exists)`},
		{expr: `parseTime(s, "date")`, env: map[string]any{"s": nil}, err: "parseTime: s is null"},
		{expr: `parseTime("2024-03-01", s)`, env: map[string]any{"s": nil}, err: "parseTime: layout is null"},
		{expr: `parseTime("2024-03-01", "date", s)`, env: map[string]any{"s": nil}, err: "parseTime: tz is null"},
	})
	compileFails(t, `parseTime("2024")`, `parseTime(1, "date")`, `parseTime("x", "date", 1)`, `parseTime(t, "date")`)
}

func TestFormatTime(t *testing.T) {
	ts := time.Date(2024, 3, 1, 9, 5, 7, 250000000, time.UTC)
	env := map[string]any{"t": ts}
	runCases(t, []exprCase{
		{expr: `formatTime(t, "date")`, env: env, want: "2024-03-01"},
		{expr: `formatTime(t, "datetime")`, env: env, want: "2024-03-01 09:05:07"},
		{expr: `formatTime(t, "RFC3339")`, env: env, want: "2024-03-01T09:05:07Z"},
		{expr: `formatTime(t, "RFC3339Nano")`, env: env, want: "2024-03-01T09:05:07.25Z"},
		{expr: `formatTime(t, "%Y-%m-%d %H:%M:%S")`, env: env, want: "2024-03-01 09:05:07"},
		{expr: `formatTime(t, "%-d/%-m/%y %I:%M %p")`, env: env, want: "1/3/24 09:05 AM"},
		{expr: `formatTime(t, "%A %e %B, %j")`, env: env, want: "Friday  1 March, 061"},
		{expr: `formatTime(t, "%H:%M:%S.%f")`, env: env, want: "09:05:07.250000"},
		{expr: `formatTime(t, "%F %T %z %Z %%")`, env: env, want: "2024-03-01 09:05:07 +0000 UTC %"},
		{expr: `formatTime(t, "datetime", "Asia/Tokyo")`, env: env, want: "2024-03-01 18:05:07"},
		{expr: `formatTime(t, "%H:%M %:z", "America/New_York")`, env: env, want: "04:05 -05:00"},
		{expr: `formatTime(parseTime("2024-07-01 09:30", "2006-01-02 15:04", "Europe/Paris"), "RFC3339")`, want: "2024-07-01T09:30:00+02:00"},
		{expr: `formatTime(t, "date", "Nowhere")`, env: env, err: `formatTime: unknown time zone "Nowhere"`},
		{expr: `formatTime(t, "%q")`, env: env, err: `formatTime: layout "%q": unsupported directive %q`},
		{expr: `formatTime(t, "date")`, env: map[string]any{"t": nil}, err: "formatTime: t is null"},
		{expr: `formatTime(date("2024-03-01"), "02.01.2006")`, want: "01.03.2024"},
	})
	compileFails(t, `formatTime("2024-03-01", "date")`, `formatTime(t)`, `formatTime(t, 1)`)
}

func TestParseFormatRoundTrip(t *testing.T) {
	for _, layout := range []string{"RFC3339Nano", "datetime", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %I:%M:%S %p", "Mon Jan _2 15:04:05 2006"} {
		ts := time.Date(2023, 11, 5, 17, 4, 9, 0, time.UTC)
		s, err := formatTimeFn(ts, layout)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseTimeFn(s, layout)
		if err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if !back.(time.Time).Equal(ts) {
			t.Errorf("%s: %v -> %q -> %v", layout, ts, s, back)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	beforeDST := time.Date(2024, 3, 30, 12, 0, 0, 0, paris) // the clocks go forward on 31 March
	runCases(t, []exprCase{
		{expr: `addDays(date("2024-12-31"), 1)`, want: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `addDays(date("2024-03-01"), 0)`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `addDays(t, 1)`, env: map[string]any{"t": beforeDST}, want: time.Date(2024, 3, 31, 12, 0, 0, 0, paris)},
		{expr: `t + duration("24h")`, env: map[string]any{"t": beforeDST}, want: time.Date(2024, 3, 31, 13, 0, 0, 0, paris)},
		{expr: `addDays(t, 1)`, env: map[string]any{"t": nil}, err: "addDays: t is null"},
		{expr: `addDays(t, n)`, env: map[string]any{"t": beforeDST, "n": nil}, err: "addDays: n is null"},
		{expr: `addMonths(date("2024-01-31"), 1)`, want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{expr: `addMonths(date("2023-01-31"), 1)`, want: time.Date(2023, 2, 28, 0, 0, 0, 0, time.UTC)},
		{expr: `addMonths(date("2024-03-31"), -1)`, want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{expr: `addMonths(date("2024-01-15"), -1)`, want: time.Date(2023, 12, 15, 0, 0, 0, 0, time.UTC)},
		{expr: `addMonths(date("2024-01-15"), -13)`, want: time.Date(2022, 12, 15, 0, 0, 0, 0, time.UTC)},
		{expr: `addMonths(date("2024-11-30"), 3)`, want: time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)},
		{expr: `addMonths(date("2024-05-31T10:20:30Z"), 24)`, want: time.Date(2026, 5, 31, 10, 20, 30, 0, time.UTC)},
		{expr: `diffDays(date("2024-03-01"), date("2024-03-01T23:59:59Z"))`, want: 0},
		{expr: `diffDays(date("2023-01-01"), date("2024-01-01"))`, want: 365},
		{expr: `diffDays(date("2024-01-01"), date("2025-01-01"))`, want: 366},
		{expr: `diffDays(t, addDays(t, 2))`, env: map[string]any{"t": beforeDST}, want: 2}, // 47 hours apart
		{expr: `diffDays(t, t2)`, env: map[string]any{ // to is converted to from's zone: 23:30 UTC is 00:30 the next day in Paris
			"t": time.Date(2024, 7, 1, 12, 0, 0, 0, paris), "t2": time.Date(2024, 7, 1, 23, 30, 0, 0, time.UTC)}, want: 1},
		{expr: `diffDays(t, t2)`, env: map[string]any{"t": beforeDST, "t2": nil}, err: "diffDays: to is null"},
		{expr: `startOfDay(t)`, env: map[string]any{"t": beforeDST}, want: time.Date(2024, 3, 30, 0, 0, 0, 0, paris)},
		{expr: `startOfDay(date("2024-03-01T00:00:00Z"))`, want: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{expr: `startOfMonth(t)`, env: map[string]any{"t": beforeDST}, want: time.Date(2024, 3, 1, 0, 0, 0, 0, paris)},
		{expr: `startOfDay(t)`, env: map[string]any{"t": nil}, err: "startOfDay: t is null"},
		{expr: `startOfMonth(t)`, env: map[string]any{"t": nil}, err: "startOfMonth: t is null"},
	})
	compileFails(t, `addDays("2024-01-01", 1)`, `addDays(t, 1.5)`, `diffDays(t)`, `startOfDay("x")`, `addMonths(t)`)
}

func TestUnixTimes(t *testing.T) {
	runCases(t, []exprCase{
		{expr: `fromUnix(0)`, want: time.Unix(0, 0).UTC()},
		{expr: `fromUnix(-1)`, want: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
		{expr: `fromUnix(-1500, "ms")`, want: time.Date(1969, 12, 31, 23, 59, 58, 500000000, time.UTC)},
		{expr: `fromUnix(1709251200123456, "us")`, want: time.Date(2024, 3, 1, 0, 0, 0, 123456000, time.UTC)},
		{expr: `fromUnix(1709251200123456789, "ns")`, want: time.Date(2024, 3, 1, 0, 0, 0, 123456789, time.UTC)},
		{expr: `fromUnix(1709251200.25)`, want: time.Date(2024, 3, 1, 0, 0, 0, 250000000, time.UTC)},
		{expr: `fromUnix(1709251200250.0, "ms")`, want: time.Date(2024, 3, 1, 0, 0, 0, 250000000, time.UTC)},
		{expr: `fromUnix(f)`, env: map[string]any{"f": 1.5}, want: time.Date(1970, 1, 1, 0, 0, 1, 500000000, time.UTC)},
		{expr: `fromUnix(n)`, env: map[string]any{"n": 86400}, want: time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)},
		{expr: `fromUnix(1, "days")`, err: `fromUnix: unknown unit "days"`},
		{expr: `fromUnix(n)`, env: map[string]any{"n": nil}, err: "fromUnix: n is null"},
		{expr: `fromUnix(1e300)`, err: "fromUnix: n out of range"},
		{expr: `toUnix(date("2024-03-01"))`, want: 1709251200},
		{expr: `toUnix(fromUnix(1709251200123, "ms"), "ms")`, want: 1709251200123},
		{expr: `toUnix(fromUnix(1709251200123456, "us"), "us")`, want: 1709251200123456},
		{expr: `toUnix(fromUnix(5, "ns"), "ns")`, want: 5},
		{expr: `toUnix(date("1969-12-31"))`, want: -86400},
		{expr: `toUnix(t, "h")`, env: map[string]any{"t": time.Now()}, err: `toUnix: unknown unit "h"`},
		{expr: `toUnix(t)`, env: map[string]any{"t": nil}, err: "toUnix: t is null"},
	})
	compileFails(t, `fromUnix("1")`, `toUnix(1)`, `fromUnix(1, 2)`)
}
