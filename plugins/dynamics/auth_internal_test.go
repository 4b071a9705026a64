package dynamics

import (
	"context"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

func TestTokensAreCachedAndRefreshedBeforeTheyExpire(t *testing.T) {
	// Tokens live 302 s here: the sink keeps one while more than five
	// minutes remain, so for two seconds.
	srv := emulatortest.Start(t, emulatortest.WithOptions(emulator.Options{TLS: true, TokenLifetime: 302 * time.Second}))
	hc, err := newHTTPClient(srv.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	ts, err := newTokenSource(&AuthConfig{TenantID: srv.TenantID, ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, Authority: srv.Authority()},
		srv.URL()+"/.default", hc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := ts.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ts.get(ctx)
	if again != first {
		t.Error("a fresh token was not reused")
	}
	time.Sleep(2500 * time.Millisecond)
	refreshed, err := ts.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if refreshed == first {
		t.Error("a token with less than five minutes left was not refreshed")
	}
	ts.drop(refreshed)
	if ts.token != "" {
		t.Error("drop kept the refused token")
	}
	// MSAL keeps its own copy of the refused token, valid for minutes yet:
	// the next token must come from the authority, not from that cache.
	next, err := ts.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next == refreshed {
		t.Error("after a token was dropped, get returned it again (from MSAL's cache)")
	}
}
