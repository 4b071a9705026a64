package config

import "testing"

func TestSuggest(t *testing.T) {
	cases := []struct {
		name       string
		candidates []string
		want       string
	}{
		{"segmnet", []string{"segment", "rejects"}, ` Did you mean "segment"?`},
		{"csvv", []string{"csv", "jsonl"}, ` Did you mean "csv"?`},
		{"ab", []string{"ac"}, ` Did you mean "ac"?`},
		{"zz", []string{"a"}, ""},              // every character changed: no resemblance
		{"a", []string{"zz"}, ""},              // nor the other way round
		{"normalize", []string{"segment"}, ""}, // too far
		{"x", nil, ""},
	}
	for _, c := range cases {
		if got := Suggest(c.name, c.candidates); got != c.want {
			t.Errorf("Suggest(%q, %q) = %q, want %q", c.name, c.candidates, got, c.want)
		}
	}
}
