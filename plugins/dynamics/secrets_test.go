package dynamics_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

// TestSecretsNeverLeaveTheSink drives the sink through failures that quote
// requests and answers — a wrong secret, a wrong PFX password, rejected
// rows, transient errors logged at debug level, a connection check — with
// no engine redacting behind it, and looks for the secret, the password
// and bearer tokens in everything it said.
func TestSecretsNeverLeaveTheSink(t *testing.T) {
	srv := startEmulator(t, withFaults(emulator.Fault{Kind: emulator.FaultError, Status: 503, Path: "UpsertMultiple", Count: 1}))
	var said bytes.Buffer
	host := &testhost.Host{Mem: memory.NewCheckedAllocator(memory.NewGoAllocator()),
		Log: slog.New(slog.NewTextHandler(&said, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	schema := schemaOf(col{"email", text}, col{"first", text})
	body := emailOnly + "\n"

	// A wrong secret.
	wrong, err := build(t, strings.Replace(connection(srv), srv.ClientSecret, "Wr0ng~Secret~Value", 1)+body)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(&said, wrong.Open(t.Context(), host, schema))
	for _, step := range wrong.Check(t.Context(), host) {
		fmt.Fprintln(&said, step.Name, step.Detail, step.Advice)
	}
	_ = wrong.Close(t.Context())

	// Writes with a rejected row and a transient failure.
	s, err := build(t, connection(srv)+strings.Replace(body, `lastname = "email"`, `lastname = "email"
  firstname = "first"`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(t.Context(), host, schema); err != nil {
		t.Fatal(err)
	}
	rec := record(host.Mem, schema, []any{"a@x.com", "ok"}, []any{"b@x.com", strings.Repeat("long", 20)})
	res, err := s.Write(t.Context(), rec)
	rec.Release()
	fmt.Fprintln(&said, res, err)
	for _, step := range s.Check(t.Context(), host) {
		fmt.Fprintln(&said, step.Name, step.Detail, step.Advice)
	}
	_ = s.Close(t.Context())
	if len(res.Rejects) != 1 {
		t.Errorf("rejects %+v", res.Rejects)
	}

	text := said.String()
	for _, secret := range []string{srv.ClientSecret, "Wr0ng~Secret~Value", "Bearer ", "eyJ"} {
		if strings.Contains(text, secret) {
			t.Errorf("the sink said %q:\n%s", secret, text)
		}
	}
	if !strings.Contains(text, "retrying after a transient failure") || !strings.Contains(text, "AADSTS7000215") {
		t.Errorf("the test did not exercise the failures it meant to:\n%s", text)
	}
	host.Mem.AssertSize(t, 0)
}
