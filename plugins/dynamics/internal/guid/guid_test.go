package guid

import "testing"

func TestParse(t *testing.T) {
	const want = "01a2b3c4-d5e6-47f8-9a0b-1c2d3e4f5a6b"
	for _, in := range []string{want, "01A2B3C4-D5E6-47F8-9A0B-1C2D3E4F5A6B", "{" + want + "}"} {
		if got, ok := Parse(in); !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "01a2b3c4d5e647f89a0b1c2d3e4f5a6b", "01a2b3c4-d5e6-47f8-9a0b-1c2d3e4f5a6g", "01a2b3c4+d5e6-47f8-9a0b-1c2d3e4f5a6b", " " + want} {
		if got, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %q, accepted", in, got)
		}
	}
}
