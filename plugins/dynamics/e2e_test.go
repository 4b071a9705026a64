package dynamics_test

import (
	"context"
	encsv "encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/engine"
	csvplugin "github.com/sluicedata/sluice/plugins/csv"
	"github.com/sluicedata/sluice/plugins/dynamics"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	memplugin "github.com/sluicedata/sluice/plugins/memory"
)

// contactInput is the schema of the end-to-end tests' input rows.
var contactInput = schemaOf(
	col{"email", text}, col{"first", text}, col{"last", text}, col{"title", text},
	col{"method", text}, col{"account", text}, col{"birthday", text}, col{"children", whole}, col{"credit", real},
)

// contactRow is one input row and what it must leave in Dataverse.
type contactRow struct {
	email, first, last, title, method, account, birthday string
	children                                             int
	credit                                               float64
	// invalid rows carry the code their rejection must have.
	invalid string
}

func (r contactRow) values() []any {
	vals := []any{r.email, r.first, r.last, r.title, r.method, r.account, r.birthday, r.children, r.credit}
	if r.email == "" {
		vals[0] = nil
	}
	return vals
}

const contactMapping = `
table         = "contact"
key           = { emailaddress1 = "lower(trim(email))" }
mapping {
  firstname                  = "first"
  lastname                   = "last"
  jobtitle                   = "title"
  preferredcontactmethodcode = "method"
  parentcustomerid           = { lookup = "account", by = { accountnumber = "account" } }
  birthdate                  = "birthday"
  numberofchildren           = "children"
  creditlimit                = "credit"
}
`

// runPipeline runs a memory source of rows into a dynamics sink with the
// given body, its rejects going to a CSV file as a user's would, and
// returns the sink's stats and the path of the rejects file.
func runPipeline(t *testing.T, srv *emulator.Server, schema *arrow.Schema, rows [][]any, sinkBody string) (engine.NodeStats, string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	store := memplugin.NewStore()
	t.Cleanup(func() {
		store.Clear()
		mem.AssertSize(t, 0)
	})
	var batches []arrow.RecordBatch
	for start := 0; start < len(rows); start += 2500 {
		batches = append(batches, record(mem, schema, rows[start:min(start+2500, len(rows))]...))
	}
	store.Put("in", schema, batches...)
	for _, b := range batches {
		b.Release()
	}
	eng, err := engine.New(engine.WithPlugins(append(store.Plugins(), dynamics.Plugin, csvplugin.Sink)...), engine.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	src := `
source "memory" "in" { table = "in" }
sink "dynamics" "crm" {
  input   = source.in
  rejects = sink.rejects
` + connection(srv) + sinkBody + `
}
sink "csv" "rejects" { path = ` + strconv.Quote(rejects) + ` }
`
	p, err := eng.Parse(map[string][]byte{"pipeline.hcl": []byte(src)}, engine.Inputs{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := p.Run(context.Background(), engine.RunOptions{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	n, ok := stats.Node("sink.crm")
	if !ok {
		t.Fatal("no stats for sink.crm")
	}
	return n, rejects
}

// rejectedRows reads the rejects file, a row per rejected row by column
// name; empty values are left out.
func rejectedRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := encsv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading the rejects file: %v", err)
	}
	if len(lines) == 0 {
		return nil
	}
	var out []map[string]string
	for _, line := range lines[1:] {
		row := map[string]string{}
		for c, name := range lines[0] {
			if line[c] != "" {
				row[name] = line[c]
			}
		}
		out = append(out, row)
	}
	return out
}

// checkContacts compares the emulator's contacts with what the valid rows
// must have left, field by field.
func checkContacts(t *testing.T, srv *emulator.Server, want map[string]contactRow, accountIDs map[string]string) {
	t.Helper()
	got := records(t, srv, "contact", "emailaddress1")
	if len(got) != len(want) {
		t.Errorf("the emulator holds %d contacts, want %d", len(got), len(want))
	}
	methods := map[string]string{"Email": "2", "phone": "3", "Mail": "5"}
	bad := 0
	for email, w := range want {
		r, ok := got[email]
		if !ok {
			t.Errorf("no contact %s", email)
			bad++
			continue
		}
		for _, f := range [...]struct{ name, want string }{
			{"firstname", w.first}, {"lastname", w.last}, {"jobtitle", w.title},
			{"preferredcontactmethodcode", methods[w.method]}, {"_parentcustomerid_value", accountIDs[w.account]},
			{"birthdate", w.birthday}, {"numberofchildren", strconv.Itoa(w.children)},
			{"creditlimit", strconv.FormatFloat(w.credit, 'f', 4, 64)},
		} {
			if g := plain(r[f.name]); g != f.want {
				t.Errorf("contact %s: %s = %q, want %q", email, f.name, g, f.want)
				bad++
			}
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
}

// plain renders a value the emulator's inspection returns.
func plain(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// seedAccounts creates accounts ACC0…ACC<n-1> and returns their ids.
func seedAccounts(t *testing.T, srv *emulator.Server, n int) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for i := range n {
		num := fmt.Sprintf("ACC%d", i)
		got, err := srv.Insert(t.Context(), "account", map[string]any{"name": "Account " + num, "accountnumber": num})
		if err != nil {
			t.Fatal(err)
		}
		ids[num] = got[0]
	}
	return ids
}

func validRow(i int, email string) contactRow {
	return contactRow{
		email: email, first: fmt.Sprintf("First%d", i), last: fmt.Sprintf("Last%d", i), title: fmt.Sprintf("Title %d", i%7),
		method: []string{"Email", "phone", "Mail"}[i%3], account: fmt.Sprintf("ACC%d", i%50),
		birthday: time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
		children: i % 5, credit: float64(i%1000) + 0.25,
	}
}

// TestUpsert10kMixedThroughTheEngine upserts 10,000 rows — 3,000 existing
// contacts, 6,000 new ones (ten repeated), 1,000 invalid in eight ways, some
// refused by the client and some by the service — and checks every record,
// every rejected row and the run's counts.
func TestUpsert10kMixedThroughTheEngine(t *testing.T) {
	srv := startEmulator(t, withFaults(emulator.Fault{Kind: emulator.FaultRecord, Table: "contact", Column: "lastname", Value: "Reject-Me"}))
	accounts := seedAccounts(t, srv, 50)
	existing := make([]map[string]any, 3000)
	for i := range existing {
		existing[i] = map[string]any{"emailaddress1": fmt.Sprintf("c%d@example.com", i), "firstname": "Old", "lastname": "Old", "jobtitle": "old"}
	}
	if _, err := srv.Insert(t.Context(), "contact", existing...); err != nil {
		t.Fatal(err)
	}

	var rows [][]any
	want := map[string]contactRow{}
	var invalid []contactRow
	for i := range 10_000 {
		var r contactRow
		switch {
		case i < 3000:
			email := fmt.Sprintf("c%d@example.com", i)
			r = validRow(i, email)
			if i%4 == 0 {
				r.email = "  " + strings.ToUpper(email) // the key expression normalises it
			}
			want[email] = r
		case i < 9000:
			email := fmt.Sprintf("n%d@example.com", i)
			if i >= 8990 {
				email = fmt.Sprintf("n%d@example.com", i-10) // repeats a row of the same batch: the later wins
			}
			r = validRow(i, email)
			want[email] = r
		default:
			r = validRow(i, fmt.Sprintf("bad%d@example.com", i))
			switch i % 8 {
			case 0:
				r.email, r.invalid = "", "expr.eval" // trim(nil) fails in the key expression
			case 1:
				r.first, r.invalid = strings.Repeat("x", 60), "dynamics.value"
			case 2:
				r.method, r.invalid = "Pigeon", "dynamics.option"
			case 3:
				r.birthday, r.invalid = "31/02/2020", "dynamics.value"
			case 4:
				r.account, r.invalid = "NO-SUCH-ACCOUNT", "0x80040217"
			case 5:
				r.last, r.invalid = "Reject-Me", "0x80040265"
			case 6:
				r.children, r.invalid = -5, "dynamics.value"
			case 7:
				r.email, r.invalid = strings.Repeat("y", 95)+"@example.com", "dynamics.key"
			}
			invalid = append(invalid, r)
		}
		rows = append(rows, r.values())
	}

	stats, rejects := runPipeline(t, srv, contactInput, rows, contactMapping+"count_created = true\n")
	if stats.In != 10_000 || stats.Out != 8990 || stats.Deduplicated != 10 || stats.Rejected != 1000 || stats.Filtered != 0 {
		t.Errorf("sink stats %+v, want in 10000 = out 8990 + deduplicated 10 + rejected 1000", stats)
	}
	if stats.Created != 5990 || stats.Updated != 3000 {
		t.Errorf("created %d, updated %d; want 5990 and 3000", stats.Created, stats.Updated)
	}
	checkContacts(t, srv, want, accounts)
	logTraffic(t, srv)

	rejected := rejectedRows(t, rejects)
	if len(rejected) != len(invalid) {
		t.Fatalf("%d rejected rows, want %d", len(rejected), len(invalid))
	}
	byFirst := map[string]map[string]string{}
	for _, r := range rejected {
		byFirst[r["first"]+"|"+r["last"]+"|"+r["method"]+"|"+r["birthday"]+"|"+r["account"]+"|"+r["children"]] = r
	}
	for _, inv := range invalid {
		r, ok := byFirst[inv.first+"|"+inv.last+"|"+inv.method+"|"+inv.birthday+"|"+inv.account+"|"+fmt.Sprint(inv.children)]
		if !ok {
			t.Errorf("invalid row %+v is not in the rejects", inv)
			continue
		}
		if r["_reject_code"] != inv.invalid || r["_reject_reason"] == "" || r["_reject_node"] != "sink.crm" {
			t.Errorf("invalid row %s: code %q reason %q, want code %s", inv.email, r["_reject_code"], r["_reject_reason"], inv.invalid)
		}
	}
}

func withFaults(f ...emulator.Fault) func(*emulator.Options) {
	return func(o *emulator.Options) { o.Faults = append(o.Faults, f...) }
}

// logTraffic logs how many requests of which kind the emulator saw.
func logTraffic(t *testing.T, srv *emulator.Server) {
	t.Helper()
	ops := map[string]int{}
	for _, e := range srv.RequestLog() {
		if !e.InBatch {
			ops[e.Operation+fmt.Sprintf("/%d", e.Status)]++
		}
	}
	t.Logf("requests: %v", ops)
}

// TestUpsert100kWithFaultsEndsAsACleanRun upserts 100,000 rows while the
// emulator fails about 10% of requests — 429s with Retry-After, 503s,
// dropped connections, some after the write committed — and checks that the
// emulator ends holding exactly what a clean run leaves: every row's record
// with its values, and no duplicates.
func TestUpsert100kWithFaultsEndsAsACleanRun(t *testing.T) {
	// About 10% of requests fail at random; the first rules make sure each
	// kind fires at least once whatever the draw.
	faults, err := emulator.ParseFaults("reset:phase=after,path=UpsertMultiple,after=3,count=1;503:path=UpsertMultiple,after=6,count=1;" +
		"throttle:path=UpsertMultiple,after=9,count=1,retry-after=1;" +
		"throttle:rate=2%,retry-after=1;503:rate=3%;reset:rate=2.5%;reset:rate=2.5%,phase=after")
	if err != nil {
		t.Fatal(err)
	}
	srv := startEmulator(t, withFaults(faults...))
	accounts := seedAccounts(t, srv, 50)
	existing := make([]map[string]any, 10_000)
	for i := range existing {
		existing[i] = map[string]any{"emailaddress1": fmt.Sprintf("c%d@example.com", i*10), "firstname": "Old", "lastname": "Old"}
	}
	if _, err := srv.Insert(t.Context(), "contact", existing...); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, 100_000)
	want := make(map[string]contactRow, len(rows))
	for i := range rows {
		r := validRow(i, fmt.Sprintf("c%d@example.com", i))
		rows[i] = r.values()
		want[r.email] = r
	}
	start := time.Now()
	stats, rejects := runPipeline(t, srv, contactInput, rows, contactMapping)
	t.Logf("100,000 rows in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	defer func() { t.Logf("checked in %s", time.Since(start).Round(time.Millisecond)) }()
	if stats.Out != 100_000 || stats.Rejected != 0 {
		t.Errorf("sink stats %+v, want all 100000 written", stats)
		for i, r := range rejectedRows(t, rejects) {
			if i < 5 {
				t.Logf("rejected: %s %s", r["_reject_code"], r["_reject_reason"])
			}
		}
	}
	checkContacts(t, srv, want, accounts)
	faulted := map[string]int{}
	for _, e := range srv.RequestLog() {
		if e.Fault != "" {
			faulted[e.Fault+fmt.Sprintf("/%d", e.Status)]++
		}
		if e.Fault == "reset" && e.Records > 0 {
			faulted["reset after commit"]++
		}
	}
	for _, kind := range []string{"throttle/429", "error/503", "reset/0", "reset after commit"} {
		if faulted[kind] == 0 {
			t.Errorf("faults fired: %v; none of %s", faulted, kind)
		}
	}
	t.Logf("faults: %v", faulted)
	logTraffic(t, srv)
}

// TestCreateWithLostAnswersMakesNoDuplicates creates 4,000 contacts while
// the emulator drops connections and answers 503 after committing, the case
// where a create must not be repeated blindly: each row must exist once.
func TestCreateWithLostAnswersMakesNoDuplicates(t *testing.T) {
	faults, err := emulator.ParseFaults("reset:every=3,phase=after,path=Multiple;503:every=4,phase=after,path=Multiple;" +
		"reset:every=3,phase=after,path=$batch;503:every=5,phase=after,path=$batch;reset:rate=3%")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"bulk", "batch"} {
		t.Run(path, func(t *testing.T) {
			srv := startEmulator(t, withFaults(faults...))
			schema := schemaOf(col{"n", whole})
			rows := make([][]any, 4000)
			if path == "batch" {
				rows = rows[:2000] // $batch sends a request per row; keep it short
			}
			for i := range rows {
				rows[i] = []any{i}
			}
			stats, _ := runPipeline(t, srv, schema, rows, `
table      = "contact"
operation  = "create"
write_path = "`+path+`"
mapping {
  lastname    = "'Row ' + string(n)"
  description = "string(n)"
}
`)
			if stats.Out != int64(len(rows)) || stats.Created != int64(len(rows)) || stats.Rejected != 0 {
				t.Errorf("stats %+v, want %d created", stats, len(rows))
			}
			got := records(t, srv, "contact", "description")
			if len(got) != len(rows) {
				t.Errorf("%d contacts for %d rows", len(got), len(rows))
			}
			after := 0
			for _, e := range srv.RequestLog() {
				if e.Fault != "" && e.Write && e.Status != 429 && e.Records > 0 {
					after++
				}
			}
			if after == 0 {
				t.Error("no write failed after committing; the test proves nothing")
			}
			logTraffic(t, srv)
		})
	}
}
