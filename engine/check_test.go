package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/engine"
	"github.com/sluicedata/sluice/sdk"
)

type checkerConfig struct {
	Secret string `sluice:"secret,sensitive"`
	Fail   bool   `sluice:"fail"`
}

// checkerSink is a sink whose connection check reports its configuration.
type checkerSink struct {
	cfg          checkerConfig
	openedOnline bool
}

func (s *checkerSink) Open(_ context.Context, host sdk.Host, _ *arrow.Schema) error {
	s.openedOnline = !host.Offline()
	return nil
}

func (s *checkerSink) Write(context.Context, arrow.RecordBatch) (sdk.WriteResult, error) {
	return sdk.WriteResult{}, nil
}

func (s *checkerSink) Close(context.Context) error { return nil }

func (s *checkerSink) Check(_ context.Context, host sdk.Host) []sdk.CheckStep {
	steps := []sdk.CheckStep{{Name: "open", OK: !s.openedOnline && !host.Offline(), Detail: "opened offline, checked online"}}
	if s.cfg.Fail {
		return append(steps, sdk.CheckStep{Name: "login", Detail: "refused secret " + s.cfg.Secret, Advice: "replace " + s.cfg.Secret})
	}
	return append(steps, sdk.CheckStep{Name: "login", OK: true})
}

func TestCheckRunsCheckersOfflineOpenedAndRedacts(t *testing.T) {
	plugin := sdk.SinkPlugin(sdk.Info{Name: "checked", Version: "1.0.0", Summary: "test"}, func(c checkerConfig) (sdk.Sink, error) {
		return &checkerSink{cfg: c}, nil
	})
	h := newHarness(t, plugin)
	h.put("in", customers(h.mem, []customer{{id: 1, active: true}}, 1))
	src := `
variable "secret" {
  default   = "s3cr3t-value"
  sensitive = true
}
source "memory" "in" { table = "in" }
sink "checked" "good" {
  input  = source.in
  secret = var.secret
}
sink "checked" "bad" {
  input  = source.in
  secret = var.secret
  fail   = true
}
sink "memory" "plain" {
  input = source.in
  table = "out"
}
`
	p, err := h.eng.Parse(map[string][]byte{"p.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	checks, err := p.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 2 {
		t.Fatalf("checked %d nodes, want the 2 checkers: %+v", len(checks), checks)
	}
	if checks[0].Address != "sink.good" || !checks[0].OK() || checks[0].Plugin != "checked" {
		t.Errorf("good: %+v", checks[0])
	}
	if checks[1].Address != "sink.bad" || checks[1].OK() {
		t.Errorf("bad: %+v", checks[1])
	}
	for _, c := range checks {
		for _, s := range c.Steps {
			if strings.Contains(s.Detail+s.Advice, "s3cr3t-value") {
				t.Errorf("%s leaks the secret: %+v", c.Address, s)
			}
		}
	}
}
