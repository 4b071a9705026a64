package textconv

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

func TestParseInt64(t *testing.T) {
	good := map[string]int64{"0": 0, "-1": -1, "+42": 42, "9223372036854775807": math.MaxInt64, "-9223372036854775808": math.MinInt64, "007": 7}
	for in, want := range good {
		if got, ok := ParseInt64([]byte(in)); !ok || got != want {
			t.Errorf("ParseInt64(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-", "1.0", "1e3", "9223372036854775808", "-9223372036854775809", " 1", "1_000", "12a"} {
		if got, ok := ParseInt64([]byte(in)); ok {
			t.Errorf("ParseInt64(%q) = %d, ok; want failure", in, got)
		}
	}
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		s := strconv.FormatFloat(float64(r.Int64N(1e12))/math.Pow10(r.IntN(8)), 'f', r.IntN(6), 64)
		want, _ := strconv.ParseFloat(s, 64)
		if got, ok := ParseFloat([]byte(s)); !ok || got != want {
			t.Fatalf("ParseFloat(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"1e10", "-2.5E-3", "NaN", "inf", "-Inf", "12345678901234567890.5", ".5", "3."} {
		want, _ := strconv.ParseFloat(s, 64)
		got, ok := ParseFloat([]byte(s))
		if !ok || (got != want && !(math.IsNaN(got) && math.IsNaN(want))) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", ".", "-", "1,5", "0x10", "1_0", "1e999", "abc"} {
		if got, ok := ParseFloat([]byte(s)); ok {
			t.Errorf("ParseFloat(%q) = %v, ok; want failure", s, got)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "False": false, "t": true, "F": false, "1": true, "0": false, "yes": true, "No": false} {
		if got, ok := ParseBool([]byte(in)); !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "2", "tru", "falsey", "on"} {
		if _, ok := ParseBool([]byte(in)); ok {
			t.Errorf("ParseBool(%q) ok; want failure", in)
		}
	}
	if !IsBoolWord([]byte("False")) || !IsBoolWord([]byte("true")) || IsBoolWord([]byte("1")) || IsBoolWord([]byte("yes")) {
		t.Error("IsBoolWord accepts only true and false")
	}
}

func TestParseTimestampMatchesTimeParse(t *testing.T) {
	cases := []string{
		"2024-05-01T12:30:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999Z",
		"2024-02-29T23:59:59.5+02:00", "2000-03-01 00:00:00-07:30", "0001-01-01T00:00:00Z",
		"9999-12-31T23:59:59.123456789Z", "2024-05-01t12:30:00z",
	}
	for _, s := range cases {
		got, ok := ParseTimestamp([]byte(s))
		norm := []byte(s)
		norm[10] = 'T'
		if norm[len(norm)-1] == 'z' {
			norm[len(norm)-1] = 'Z'
		}
		want, err := time.Parse(time.RFC3339Nano, string(norm))
		if err != nil {
			t.Fatal(err)
		}
		if !ok || got != want.UnixMicro() {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d", s, got, ok, want.UnixMicro())
		}
	}
	if got, ok := ParseTimestamp([]byte("2024-05-01")); !ok || got != time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("date alone: %d %v", got, ok)
	}
	for _, s := range []string{"2024-05-01T12:30:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:30:00.Z", "2024-05-01T12:30:00+0200", "yesterday", "2024-05-01X12:30:00Z"} {
		if _, ok := ParseTimestamp([]byte(s)); ok {
			t.Errorf("ParseTimestamp(%q) ok; want failure", s)
		}
	}
}

func TestAppendTimestampMatchesTimeFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		us := r.Int64N(400*365*86400*1e6) - 200*365*86400*1e6
		if r.IntN(3) == 0 {
			us -= us % 1e6
		}
		want := time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
		if got := string(AppendTimestamp(nil, us, 1e6)); got != want {
			t.Fatalf("AppendTimestamp(%d) = %s; want %s", us, got, want)
		}
		back, ok := ParseTimestamp([]byte(want))
		if !ok || back != us {
			t.Fatalf("ParseTimestamp(%s) = %d; want %d", want, back, us)
		}
	}
	if got := string(AppendTimestamp(nil, 1500, 1e3)); got != "1970-01-01T00:00:01.5Z" {
		t.Errorf("milliseconds: %s", got)
	}
	if got := string(AppendTimestamp(nil, -1, 1e9)); got != "1969-12-31T23:59:59.999999999Z" {
		t.Errorf("nanoseconds: %s", got)
	}
}

func TestDateRoundTrip(t *testing.T) {
	for days := int64(-719162); days < 2932897; days += 7 { // years 1 to 9999
		want := time.Unix(days*86400, 0).UTC().Format("2006-01-02")
		if got := string(AppendDate(nil, days)); got != want {
			t.Fatalf("AppendDate(%d) = %s; want %s", days, got, want)
		}
		if d, ok := ParseDate([]byte(want)); !ok || int64(d) != days {
			t.Fatalf("ParseDate(%s) = %d; want %d", want, d, days)
		}
	}
}
