package benchkit

import (
	"testing"
	"time"
)

func TestParseEnvUnquotesShellValues(t *testing.T) {
	env := parseEnv("export DATAVERSE_URL=https://127.0.0.1:4443\n" +
		"export DATAVERSE_CLIENT_SECRET='it'\\''s a secret'\n" +
		"export DATAVERSE_CA_FILE=/tmp/ca.pem\n" +
		"not an export line\n")
	want := map[string]string{
		"DATAVERSE_URL":           "https://127.0.0.1:4443",
		"DATAVERSE_CLIENT_SECRET": "it's a secret",
		"DATAVERSE_CA_FILE":       "/tmp/ca.pem",
	}
	if len(env) != len(want) {
		t.Fatalf("got %v, want %v", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func TestMedian(t *testing.T) {
	xs := []time.Duration{3, 1, 2, 5}
	if got := Median(xs); got != 3 {
		t.Errorf("Median(%v) = %v, want the upper middle, 3", xs, got)
	}
	if xs[0] != 3 {
		t.Errorf("Median reordered its argument: %v", xs)
	}
	type run struct{ wall float64 }
	if got := MedianOf([]run{{2}, {9}, {4}}, func(r run) float64 { return r.wall }); got != 4 {
		t.Errorf("MedianOf = %v, want 4", got)
	}
}
