package emulator_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

// syncBuffer is a goroutine-safe writer for the command's output.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// parseEnv reads "export K=V" lines (values quoted by the command when needed).
func parseEnv(t *testing.T, text string) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			t.Fatalf("not an export line: %q", sc.Text())
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = strings.Trim(v, "'")
	}
	return env
}

func TestCommandPrintsExportsAndServesUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env.sh")
	logFile := filepath.Join(dir, "requests.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- emulator.Command(ctx, []string{"--addr", "127.0.0.1:0", "--tls", "--env-file", envFile, "--log", logFile,
			"--limits", "requests=100,window=10s", "--cost", "request=1ms", "--data", filepath.Join(dir, "data")}, &stdout, &stderr)
	}()
	var env map[string]string
	for deadline := time.Now().Add(10 * time.Second); ; {
		if b, err := os.ReadFile(envFile); err == nil && strings.Count(string(b), "\n") == 7 {
			env = parseEnv(t, string(b))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no env file; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := parseEnv(t, stdout.String()); len(got) != 7 || got["DATAVERSE_TOKEN"] != env["DATAVERSE_TOKEN"] {
		t.Fatalf("stdout %q", stdout.String())
	}
	for _, k := range []string{"DATAVERSE_URL", "DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID", "DATAVERSE_CLIENT_SECRET", "DATAVERSE_AUTHORITY", "DATAVERSE_TOKEN", "DATAVERSE_CA_FILE"} {
		if env[k] == "" {
			t.Fatalf("%s missing from %v", k, env)
		}
	}
	// what a person does with curl: trust the CA file, create a contact with the token, read it back
	ca, err := os.ReadFile(env["DATAVERSE_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	call := func(method, url, body string) (*http.Response, string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+env["DATAVERSE_TOKEN"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := call("POST", env["DATAVERSE_URL"]+"/api/data/v9.2/contacts", `{"firstname":"Curl","lastname":"User","emailaddress1":"curl@example.com"}`)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	resp, body := call("GET", resp.Header.Get("OData-EntityId")+"?$select=fullname", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"fullname":"Curl User"`) {
		t.Fatalf("read: %d %s", resp.StatusCode, body)
	}
	// the inspection endpoint counts and dumps tables
	_, body = call("GET", env["DATAVERSE_URL"]+"/_emulator/tables/contact?count", "")
	if strings.TrimSpace(body) != "1" {
		t.Fatalf("count %q", body)
	}
	_, body = call("GET", env["DATAVERSE_URL"]+"/_emulator/tables/contacts", "")
	var dump struct {
		Count   int
		Records []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &dump); err != nil || dump.Count != 1 || dump.Records[0]["emailaddress1"] != "curl@example.com" {
		t.Fatalf("dump %s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not stop when its context was cancelled")
	}
	// the request log has one JSON line per request, and the secret is nowhere in the output or the log
	logged, _ := os.ReadFile(logFile)
	if n := strings.Count(string(logged), "\n"); n != 2 {
		t.Fatalf("%d log lines:\n%s", n, logged)
	}
	for _, text := range []string{string(logged), stderr.String()} {
		if strings.Contains(text, env["DATAVERSE_CLIENT_SECRET"]) {
			t.Fatal("the client secret leaked into logs")
		}
	}
}

func TestCommandHelpAndBadFlags(t *testing.T) {
	var out, errOut syncBuffer
	if err := emulator.Command(context.Background(), []string{"-h"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sluice emulator dynamics", "-limits", "-faults", "-cost", "-tables", "-data", "-env-file", "DATAVERSE_TOKEN"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, args := range [][]string{{"--limits", "requests=lots"}, {"--faults", "explode"}, {"--cost", "request=soon"}, {"--tables", "/no/such/file.hcl"}, {"extra"}} {
		if err := emulator.Command(context.Background(), append(args, "--addr", "127.0.0.1:0"), &out, &errOut); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
