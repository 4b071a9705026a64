package segment

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"
)

func generate(t *testing.T, rows int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, Options{Rows: rows, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterministic(t *testing.T) {
	a, b := generate(t, 5000, 1), generate(t, 5000, 1)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different data")
	}
	if bytes.Equal(a, generate(t, 5000, 2)) {
		t.Fatal("different seeds gave the same data")
	}
}

// TestShape checks that the data is valid CSV with the documented shape:
// near-duplicate and empty emails, empty last names, a lifetime value that
// is mostly small with a tail, and about two thirds of customers active.
func TestShape(t *testing.T) {
	const rows = 100000
	data := generate(t, rows, 1)
	if perRow := float64(len(data)) / rows; perRow < 145 || perRow > 165 {
		t.Errorf("%.0f bytes per row; 1M rows should be about 155 MB", perRow)
	}
	r := csv.NewReader(bytes.NewReader(data))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(records[0], ",") != strings.Join(Header, ",") || len(records) != rows+1 {
		t.Fatalf("header %v, %d records", records[0], len(records))
	}
	seen := map[string]bool{}
	var dups, emptyEmail, emptyLast, active, under1000, over10000, quoted int
	ids := map[string]bool{}
	for _, rec := range records[1:] {
		ids[rec[0]] = true
		email := rec[1]
		switch norm := strings.ToLower(strings.TrimSpace(email)); {
		case email == "":
			emptyEmail++
		case seen[norm]:
			dups++
		default:
			seen[norm] = true
		}
		if rec[3] == "" {
			emptyLast++
		}
		if strings.ContainsAny(rec[4], `,"`) {
			quoted++
		}
		ltv, err := strconv.ParseFloat(rec[9], 64)
		if err != nil {
			t.Fatalf("lifetime_value %q", rec[9])
		}
		if ltv < 1000 {
			under1000++
		}
		if ltv > 10000 {
			over10000++
		}
		if rec[10] == "true" {
			active++
		}
		if _, err := time.Parse(time.RFC3339, rec[11]); err != nil {
			t.Fatalf("updated_at %q: %v", rec[11], err)
		}
	}
	pct := func(n int) float64 { return 100 * float64(n) / rows }
	checks := []struct {
		what   string
		got    float64
		lo, hi float64
	}{
		{"near-duplicate emails", pct(dups), 4, 6},
		{"empty emails", pct(emptyEmail), 2.5, 3.5},
		{"empty last names", pct(emptyLast), 2, 6},
		{"active customers", pct(active), 60, 70},
		{"lifetime values below 1,000", pct(under1000), 80, 95},
		{"lifetime values above 10,000", pct(over10000), 0.1, 2},
		{"quoted company names", pct(quoted), 3, 7},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s: %.2f%%, want %.1f–%.1f%%", c.what, c.got, c.lo, c.hi)
		}
	}
	if len(ids) != rows {
		t.Errorf("%d distinct customer ids in %d rows", len(ids), rows)
	}
}
