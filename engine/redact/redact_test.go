package redact_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/engine/redact"
)

func TestStringAndError(t *testing.T) {
	r := redact.New("s3cr3t-value", "abc")
	r.Add("s3cr3t-value-longer")
	if got := r.String("a s3cr3t-value-longer and s3cr3t-value, abc"); got != "a (sensitive value) and (sensitive value), abc" {
		t.Errorf("got %q", got)
	}
	base := fmt.Errorf("login with s3cr3t-value failed: %w", fs.ErrPermission)
	err := r.Error(base)
	if strings.Contains(err.Error(), "s3cr3t") || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("redacted error %q lost the secret or its cause", err)
	}
	plain := errors.New("nothing secret")
	if r.Error(plain) != plain {
		t.Error("an error without secrets was wrapped")
	}
	var nilRedactor *redact.Redactor
	if nilRedactor.String("x") != "x" {
		t.Error("a nil redactor changed its input")
	}
}

func TestHandlerRedactsMessagesAndAttributes(t *testing.T) {
	var buf bytes.Buffer
	r := redact.New("tok-123456")
	log := slog.New(r.Handler(slog.NewTextHandler(&buf, nil))).With("auth", "Bearer tok-123456")
	log.Info("sent tok-123456", "err", errors.New("bad tok-123456"), slog.Group("req", "header", "tok-123456"))
	if strings.Contains(buf.String(), "tok-123456") {
		t.Errorf("secret in log: %s", buf.String())
	}
	if strings.Count(buf.String(), redact.Placeholder) != 4 {
		t.Errorf("expected 4 placeholders: %s", buf.String())
	}
}
