package synctest_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/engine/state"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
)

// sluiceCmd is `sluice args…` with env added to the environment.
func sluiceCmd(t testing.TB, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(sluiceBinary(t), args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// runSluice runs `sluice args…` to the end: its exit code and output.
func runSluice(t testing.TB, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := sluiceCmd(t, env, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("sluice %s: %v", strings.Join(args, " "), err)
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// emulatorProcess is `sluice emulator dynamics` in a process of its own,
// so that it outlives the sluice runs the tests kill, and runs at full
// speed whatever the test binary is built with.
type emulatorProcess struct {
	env    map[string]string
	url    string
	client *http.Client
}

func startEmulatorProcess(t *testing.T) *emulatorProcess {
	t.Helper()
	dir := t.TempDir()
	tablesFile, envFile := filepath.Join(dir, "tables.hcl"), filepath.Join(dir, "dataverse.env")
	writeFile(t, tablesFile, tables)
	cmd := sluiceCmd(t, nil, "emulator", "dynamics", "--tls", "--addr", "127.0.0.1:0", "--limits", "off",
		"--tables", tablesFile, "--env-file", envFile)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	e := &emulatorProcess{env: map[string]string{}}
	deadline := time.Now().Add(30 * time.Second)
	for len(e.env) < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("the emulator wrote no %s in 30s:\n%s", envFile, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
		f, err := os.Open(envFile)
		if err != nil {
			continue
		}
		e.env = map[string]string{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
			if ok && strings.HasPrefix(k, "DATAVERSE_") && k != "DATAVERSE_TOKEN" {
				e.env[k] = strings.Trim(v, `'"`)
			}
		}
		f.Close()
	}
	e.url = e.env["DATAVERSE_URL"]
	pem, err := os.ReadFile(e.env["DATAVERSE_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	e.client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	e.seedAccounts(t)
	return e
}

// inspect calls the emulator's inspection API.
func (e *emulatorProcess) inspect(t testing.TB, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+"/_emulator/"+path, strings.NewReader(body))
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s /_emulator/%s: HTTP %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s /_emulator/%s: %v", method, path, err)
		}
	}
}

func (e *emulatorProcess) seedAccounts(t testing.TB) {
	e.inspect(t, http.MethodPost, "tables/account", `[{"name":"Acme","accountnumber":"A1"},{"name":"Globex","accountnumber":"A2"}]`, nil)
}

// reset forgets every record and the request log, and seeds the accounts
// again.
func (e *emulatorProcess) reset(t testing.TB) {
	e.inspect(t, http.MethodPost, "reset", "", nil)
	e.seedAccounts(t)
}

// log returns the request log entries after seq.
func (e *emulatorProcess) log(t testing.TB, since int64) []emulator.LogEntry {
	var entries []emulator.LogEntry
	e.inspect(t, http.MethodGet, fmt.Sprintf("log?since=%d", since), "", &entries)
	return entries
}

// lastSeq is the sequence number of the latest logged request.
func (e *emulatorProcess) lastSeq(t testing.TB) int64 {
	entries := e.log(t, 0)
	if len(entries) == 0 {
		return 0
	}
	return entries[len(entries)-1].Seq
}

// waitQuiet waits until the emulator has logged no request for a while:
// requests a killed client had in flight are still carried out.
func (e *emulatorProcess) waitQuiet(t testing.TB) {
	last, since := e.lastSeq(t), time.Now()
	for time.Since(since) < 300*time.Millisecond {
		time.Sleep(20 * time.Millisecond)
		if seq := e.lastSeq(t); seq != last {
			last, since = seq, time.Now()
		}
	}
}

// count is the number of contacts.
func (e *emulatorProcess) count(t testing.TB) int {
	req, _ := http.NewRequest(http.MethodGet, e.url+"/_emulator/tables/contact/count", nil)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("contact count: %q", data)
	}
	return n
}

// syncedContact is what the syncs write to a contact, and its state.
type syncedContact struct {
	Email     string  `json:"emailaddress1"`
	First     *string `json:"firstname"`
	Last      *string `json:"lastname"`
	Title     *string `json:"jobtitle"`
	City      *string `json:"address1_city"`
	Account   *string `json:"_parentcustomerid_value"`
	State     *int    `json:"statecode"`
	StatusRsn *int    `json:"statuscode"`
}

// contacts returns the contacts by email, failing on two with one email.
// Only the columns the syncs write are decoded: the table is large.
func (e *emulatorProcess) contacts(t testing.TB) map[string]syncedContact {
	var doc struct {
		Records []syncedContact `json:"records"`
	}
	e.inspect(t, http.MethodGet, "tables/contact", "", &doc)
	out := make(map[string]syncedContact, len(doc.Records))
	for _, r := range doc.Records {
		if _, dup := out[r.Email]; dup {
			t.Errorf("two contacts with email %q", r.Email)
		}
		out[r.Email] = r
	}
	return out
}

// accounts returns the accounts' numbers by id.
func (e *emulatorProcess) accounts(t testing.TB) map[string]string {
	var doc struct {
		Records []struct {
			AccountID     string `json:"accountid"`
			AccountNumber string `json:"accountnumber"`
		} `json:"records"`
	}
	e.inspect(t, http.MethodGet, "tables/account", "", &doc)
	out := map[string]string{}
	for _, r := range doc.Records {
		out[r.AccountID] = r.AccountNumber
	}
	return out
}

// cliPipeline is a pipeline file, its segment and its state, run by the
// sluice binary against an emulator.
type cliPipeline struct {
	path, segment string
	env           map[string]string
}

func newCLIPipeline(t *testing.T, env map[string]string, o syncOptions) *cliPipeline {
	t.Helper()
	if o.onLeave == "" {
		o.onLeave = "nothing"
	}
	dir := t.TempDir()
	p := &cliPipeline{path: filepath.Join(dir, "contacts.hcl"), segment: filepath.Join(dir, "segment.csv"), env: map[string]string{}}
	src := fmt.Sprintf(pipelineSource, o.stateBlock, o.sinkExtra, o.onLeave, o.syncExtra)
	if o.noRejects {
		// Every sink idempotent: the engine would resume a source after a
		// crash — but for the sync, which needs the whole input.
		src = strings.Replace(src, "  rejects = sink.rejects\n", "", 1)
		src = strings.Replace(src, `sink "memory" "rejects" { table = "rejects" }`, "", 1)
	} else {
		src = strings.Replace(src, `sink "memory" "rejects" { table = "rejects" }`, `sink "jsonl" "rejects" { path = "rejects.jsonl" }`, 1)
	}
	writeFile(t, p.path, src)
	for k, v := range env {
		p.env[k] = v
	}
	p.env["SLUICE_VAR_segment"] = p.segment
	return p
}

// stateSummary is `sluice state show --json`.
func (p *cliPipeline) stateSummary(t testing.TB) state.Summary {
	t.Helper()
	code, out, errOut := runSluice(t, p.env, "state", "show", "--json", p.path)
	if code != 0 {
		t.Fatalf("sluice state show: exit %d\n%s", code, errOut)
	}
	var sum state.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("sluice state show --json: %v\n%s", err, out)
	}
	return sum
}

// The safety rail stops `sluice run` with a nonzero exit and a message
// that says what happened and what to do; --allow-mass-delete proceeds.
func TestSyncSafetyRailStopsTheRun(t *testing.T) {
	srv := startEmulator(t)
	p := newCLIPipeline(t, emulatorEnv(srv), syncOptions{onLeave: "delete", syncExtra: "max_leave = 20"})
	rows := people(100)
	writeCSV(t, p.segment, rows)
	if code, _, errOut := runSluice(t, p.env, "run", "--quiet", p.path); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errOut)
	}
	// A broken export: half the segment is missing.
	writeCSV(t, p.segment, rows[:50])
	code, _, errOut := runSluice(t, p.env, "run", "--quiet", p.path)
	if code == 0 {
		t.Fatalf("the rail did not stop the run:\n%s", errOut)
	}
	for _, want := range []string{"too many rows left the input", "50 of the 100 rows sink.contacts wrote before", `on_leave = "delete"`, "--allow-mass-delete", "check the source"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the message does not say %q:\n%s", want, errOut)
		}
	}
	if n, _ := srv.Count("contact"); n != 100 {
		t.Errorf("%d contacts after the rail tripped, want all 100", n)
	}
	code, _, errOut = runSluice(t, p.env, "run", "--quiet", "--allow-mass-delete", p.path)
	if code != 0 {
		t.Fatalf("--allow-mass-delete: exit %d\n%s", code, errOut)
	}
	if n, _ := srv.Count("contact"); n != 50 {
		t.Errorf("%d contacts after --allow-mass-delete, want 50", n)
	}
	if sum := p.stateSummary(t); sum.Snapshots["sink.contacts"] != 50 {
		t.Errorf("snapshot rows: %v", sum.Snapshots)
	}
}
