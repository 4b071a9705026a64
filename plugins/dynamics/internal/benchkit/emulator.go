// Package benchkit is the machinery the Dynamics benchmark commands
// (plugins/dynamics/cmd/dynamicsbench, matchbench and syncbench) share, so
// that what they measure is measured the same way in each:
//
//   - the Dataverse emulator, started as `sluice emulator dynamics` in a
//     process of its own, so that its work is not counted in the CPU time of
//     the process being measured, and an HTTP client for its inspection API
//     (/_emulator/: reset, seed, request log);
//   - the sink's connection and auth settings pointing at it;
//   - a pipeline run timed in wall time and in this process's CPU time;
//   - medians over runs.
//
// Each command keeps its own workload, flags and report: the figures in
// docs/benchmarks.md are quoted from them.
// The package is internal because it is a tool for those commands, not an
// API.
package benchkit

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

// startTimeout is how long the emulator may take to write its env file.
const startTimeout = 30 * time.Second

// Emulator is `sluice emulator dynamics` running in a process of its own,
// serving HTTPS on a free port of 127.0.0.1.
type Emulator struct {
	// Env holds the variables of its env file (DATAVERSE_URL,
	// DATAVERSE_CA_FILE, the credentials), unquoted.
	Env map[string]string
	// URL is Env["DATAVERSE_URL"].
	URL string

	cmd    *exec.Cmd
	dir    string
	exited chan struct{} // closed when the process has exited
	client *http.Client
}

// StartEmulator starts the emulator with the sluice binary at sluice,
// passing args (such as --limits, --cost, --tables) after the flags that
// make it serve HTTPS on a free port and write its env file, and waits up to
// 30 seconds for the env file. Its stderr is this process's; its stdout is
// discarded. Stop it with Stop.
func StartEmulator(sluice string, args ...string) (*Emulator, error) {
	dir, err := os.MkdirTemp("", "benchkit-emulator-")
	if err != nil {
		return nil, fmt.Errorf("make a directory for the emulator's env file: %w", err)
	}
	envFile := filepath.Join(dir, "dataverse.env")
	cmd := exec.Command(sluice, append([]string{"emulator", "dynamics", "--tls", "--addr", "127.0.0.1:0", "--env-file", envFile}, args...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	e := &Emulator{cmd: cmd, dir: dir, exited: make(chan struct{})}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(e.exited)
	}()
	deadline := time.After(startTimeout)
	for {
		data, err := os.ReadFile(envFile)
		// DATAVERSE_CA_FILE is the file's last line: once it is there, the
		// file is whole.
		if env := parseEnv(string(data)); err == nil && env["DATAVERSE_CA_FILE"] != "" {
			e.Env, e.URL = env, env["DATAVERSE_URL"]
			break
		}
		select {
		case <-e.exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("the emulator exited before it was listening: %v", waitErr)
		case <-deadline:
			e.Stop()
			return nil, fmt.Errorf("the emulator did not write %s within %s", envFile, startTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
	client, err := caClient(e.Env["DATAVERSE_CA_FILE"])
	if err != nil {
		e.Stop()
		return nil, err
	}
	e.client = client
	return e, nil
}

// Stop interrupts the emulator and waits for it to exit.
func (e *Emulator) Stop() {
	_ = e.cmd.Process.Signal(os.Interrupt)
	<-e.exited
	os.RemoveAll(e.dir)
}

// LookupEnv looks a name up in the emulator's variables, then in this
// process's environment: engine.Inputs.LookupEnv for pipelines that read
// the connection with env("DATAVERSE_URL") and the like, as users' do.
func (e *Emulator) LookupEnv(name string) (string, bool) {
	if v, ok := e.Env[name]; ok {
		return v, true
	}
	return os.LookupEnv(name)
}

// SinkConnection is the url attribute and auth block of a dynamics sink
// that writes to the emulator, with its values written out, to go inside
// a sink block.
func (e *Emulator) SinkConnection() string {
	return fmt.Sprintf(`  url   = %q
  auth {
    tenant_id     = %q
    client_id     = %q
    client_secret = %q
    authority     = %q
    ca_file       = %q
  }
`, e.URL, e.Env["DATAVERSE_TENANT_ID"], e.Env["DATAVERSE_CLIENT_ID"], e.Env["DATAVERSE_CLIENT_SECRET"],
		e.Env["DATAVERSE_AUTHORITY"], e.Env["DATAVERSE_CA_FILE"])
}

// Call sends a request to the emulator's inspection API at
// /_emulator/<path>, with body as JSON when it is not nil, and returns the
// response's body; a status of 300 or more is an error.
func (e *Emulator) Call(method, path string, body []byte) ([]byte, error) {
	url := e.URL + "/_emulator/" + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: %s %s", method, url, resp.Status, bytes.TrimSpace(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the response: %w", method, url, err)
	}
	return data, nil
}

// Reset empties the emulator's tables and its request log.
func (e *Emulator) Reset() error {
	if _, err := e.Call(http.MethodPost, "reset", nil); err != nil {
		return fmt.Errorf("reset the emulator: %w", err)
	}
	return nil
}

// Log returns the emulator's request log after the entry numbered since (0:
// all of it that the emulator keeps).
func (e *Emulator) Log(since int64) ([]emulator.LogEntry, error) {
	data, err := e.Call(http.MethodGet, fmt.Sprintf("log?since=%d", since), nil)
	if err != nil {
		return nil, fmt.Errorf("read the emulator's request log: %w", err)
	}
	var entries []emulator.LogEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("read the emulator's request log: %w", err)
	}
	return entries, nil
}

// parseEnv reads the emulator's export lines (`export NAME=value`, the value
// quoted for a POSIX shell where it needs it).
func parseEnv(data string) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(data, "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		if !ok {
			continue
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, `'`)
		}
		env[k] = v
	}
	return env
}

// caClient is an HTTP client that trusts the emulator's CA. Its timeout
// allows for seeding tens of thousands of records in one request.
func caClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read the emulator's CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("read the emulator's CA: " + caFile + " holds no PEM certificate")
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		Timeout:   5 * time.Minute,
	}, nil
}
