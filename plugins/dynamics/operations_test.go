package dynamics_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

// operations counts the emulator's requests by operation, outside $batch.
func operations(srv *emulator.Server) map[string]int {
	ops := map[string]int{}
	for _, e := range srv.RequestLog() {
		if !e.InBatch {
			ops[e.Operation]++
		}
	}
	return ops
}

func seedContacts(t *testing.T, srv *emulator.Server, emails ...string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, e := range emails {
		got, err := srv.Insert(t.Context(), "contact", map[string]any{"emailaddress1": e, "lastname": "Seed", "firstname": "Seed"})
		if err != nil {
			t.Fatal(err)
		}
		ids[e] = got[0]
	}
	return ids
}

// bothPaths runs a test once with the bulk messages and once with $batch.
func bothPaths(t *testing.T, test func(t *testing.T, path string)) {
	for _, path := range []string{"bulk", "batch"} {
		t.Run(path, func(t *testing.T) { test(t, path) })
	}
}

func TestCreateMakesRecordsWithIdsTheSinkChose(t *testing.T) {
	bothPaths(t, func(t *testing.T, path string) {
		srv := startEmulator(t)
		host := testhost.New(t)
		schema := schemaOf(col{"last", text})
		s := open(t, host, schema, connection(srv)+`
table      = "contact"
operation  = "create"
write_path = "`+path+`"
mapping {
  lastname = "last"
}
`)
		res := write(t, s, record(host.Mem, schema, []any{"One"}, []any{"Two"}, []any{"Two"}, []any{strings.Repeat("x", 51)}))
		if res.Created != 3 || len(res.Rejects) != 1 || res.Rejects[0].Row != 3 {
			t.Errorf("result %+v", res)
		}
		recs, _ := srv.Records("contact")
		if len(recs) != 3 {
			t.Errorf("%d contacts, want 3 (creates never collapse)", len(recs))
		}
		ops := operations(srv)
		if path == "bulk" && ops["CreateMultiple"] != 1 || path == "batch" && (ops["batch"] != 1 || ops["CreateMultiple"] != 0) {
			t.Errorf("requests %v", ops)
		}
	})
}

func TestUpdateChangesExistingRecordsOnly(t *testing.T) {
	bothPaths(t, func(t *testing.T, path string) {
		for _, onMissing := range []string{"skip", "reject"} {
			t.Run(onMissing, func(t *testing.T) {
				srv := startEmulator(t)
				host := testhost.New(t)
				seedContacts(t, srv, "a@example.com", "b+c@example.com")
				schema := schemaOf(col{"email", text}, col{"first", text})
				s := open(t, host, schema, connection(srv)+`
table      = "contact"
operation  = "update"
on_missing = "`+onMissing+`"
write_path = "`+path+`"
key        = { emailaddress1 = "email" }
mapping {
  firstname = "first"
}
`)
				res := write(t, s, record(host.Mem, schema,
					[]any{"A@example.com", "Ann"}, []any{"nobody@example.com", "Nobody"}, []any{"b+c@example.com", "Bea"}, []any{"no/body@example.com", "No"}))
				got := records(t, srv, "contact", "emailaddress1")
				if len(got) != 2 || got["a@example.com"]["firstname"] != "Ann" || got["b+c@example.com"]["firstname"] != "Bea" {
					t.Errorf("contacts %v", got)
				}
				if res.Updated != 2 {
					t.Errorf("updated %d, want 2", res.Updated)
				}
				switch onMissing {
				case "skip":
					if res.Skipped != 2 || len(res.Rejects) != 0 {
						t.Errorf("result %+v, want 2 skipped", res)
					}
				case "reject":
					rejects := rejectsByRow(res.Rejects)
					if res.Skipped != 0 || len(rejects) != 2 || rejects[1].Code != "dynamics.missing" || rejects[3].Code != "dynamics.missing" {
						t.Errorf("result %+v, want rows 1 and 3 rejected", res)
					}
					mustContain(t, "missing", rejects[3].Message, "does not exist")
				}
				if ops := operations(srv); path == "bulk" && ops["UpdateMultiple"] != 1 {
					t.Errorf("requests %v", ops)
				}
			})
		}
	})
}

func TestUpdateByIdIsolatesMissingRecords(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	ids := seedContacts(t, srv, "a@example.com", "b@example.com")
	schema := schemaOf(col{"id", text}, col{"first", text})
	s := open(t, host, schema, connection(srv)+`
table     = "contact"
operation = "update"
key       = { contactid = "id" }
mapping {
  firstname = "first"
}
`)
	res := write(t, s, record(host.Mem, schema,
		[]any{ids["a@example.com"], "Ann"}, []any{"0f0f0f0f-0000-0000-0000-000000000001", "Ghost"}, []any{strings.ToUpper(ids["b@example.com"]), "Bob"}))
	if res.Updated != 2 || res.Skipped != 1 || len(res.Rejects) != 0 {
		t.Errorf("result %+v", res)
	}
	got := records(t, srv, "contact", "emailaddress1")
	if got["a@example.com"]["firstname"] != "Ann" || got["b@example.com"]["firstname"] != "Bob" || len(got) != 2 {
		t.Errorf("contacts %v", got)
	}
}

func TestDeleteByKey(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	seedContacts(t, srv, "a@example.com", "b@example.com", "c/d@example.com", "keep@example.com")
	schema := schemaOf(col{"email", text})
	s := open(t, host, schema, connection(srv)+`
table     = "contact"
operation = "delete"
key       = { emailaddress1 = "email" }
`)
	res := write(t, s, record(host.Mem, schema, []any{"a@example.com"}, []any{"B@EXAMPLE.COM"}, []any{"c/d@example.com"}, []any{"gone@example.com"}, []any{"a@example.com"}))
	if res.Deleted != 3 || res.Skipped != 1 || res.Deduplicated != 1 || len(res.Rejects) != 0 {
		t.Errorf("result %+v, want 3 deleted, 1 skipped, 1 deduplicated", res)
	}
	got := records(t, srv, "contact", "emailaddress1")
	if len(got) != 1 || got["keep@example.com"] == nil {
		t.Errorf("contacts left: %v", got)
	}
}

func TestUpsertByPrimaryID(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	ids := seedContacts(t, srv, "a@example.com")
	schema := schemaOf(col{"id", text}, col{"last", text})
	s := open(t, host, schema, connection(srv)+`
table = "contact"
key   = { contactid = "id" }
mapping {
  lastname = "last"
}
`)
	newID := "0a1b2c3d-0000-4000-8000-00000000abcd"
	res := write(t, s, record(host.Mem, schema, []any{ids["a@example.com"], "Updated"}, []any{"{" + strings.ToUpper(newID) + "}", "Created"}, []any{"nope", "Bad"}))
	if len(res.Rejects) != 1 || res.Rejects[0].Code != "dynamics.key" {
		t.Errorf("rejects %+v", res.Rejects)
	}
	recs := records(t, srv, "contact", "contactid")
	if fmt.Sprint(recs[ids["a@example.com"]]["lastname"]) != "Updated" || fmt.Sprint(recs[newID]["lastname"]) != "Created" || len(recs) != 2 {
		t.Errorf("contacts %v", recs)
	}
}

func TestMaxRecordsSkipsTheRest(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	schema := schemaOf(col{"email", text})
	s := open(t, host, schema, connection(srv)+`
table       = "contact"
key         = { emailaddress1 = "email" }
max_records = 3
mapping {
  lastname = "email"
}
`)
	res1 := write(t, s, record(host.Mem, schema, []any{"a@x.com"}, []any{"b@x.com"}))
	res2 := write(t, s, record(host.Mem, schema, []any{"c@x.com"}, []any{"d@x.com"}, []any{"e@x.com"}))
	if res1.Skipped != 0 || res2.Skipped != 2 {
		t.Errorf("skipped %d and %d, want 0 and 2", res1.Skipped, res2.Skipped)
	}
	if n, _ := srv.Count("contact"); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
}

func TestUpdateWithAMissingLookupTargetIsRejectedNotSkipped(t *testing.T) {
	bothPaths(t, func(t *testing.T, path string) {
		srv := startEmulator(t)
		host := testhost.New(t)
		seedContacts(t, srv, "a@example.com", "b@example.com")
		seedAccounts(t, srv, 1)
		schema := schemaOf(col{"email", text}, col{"account", text})
		s := open(t, host, schema, connection(srv)+`
table      = "contact"
operation  = "update"
write_path = "`+path+`"
key        = { emailaddress1 = "email" }
mapping {
  parentcustomerid = { lookup = "account", by = { accountnumber = "account" } }
}
`)
		res := write(t, s, record(host.Mem, schema, []any{"a@example.com", "ACC0"}, []any{"b@example.com", "NOPE"}, []any{"c@example.com", "ACC0"}))
		if res.Updated != 1 || res.Skipped != 1 || len(res.Rejects) != 1 || res.Rejects[0].Row != 1 || res.Rejects[0].Code != "0x80040217" {
			t.Errorf("result %+v: want a updated, b rejected for its missing account, c skipped", res)
		}
	})
}

func TestDeleteOfAMissingRecordIsRejectedWhenAsked(t *testing.T) {
	srv := startEmulator(t)
	host := testhost.New(t)
	seedContacts(t, srv, "a@example.com", "b/c@example.com")
	schema := schemaOf(col{"email", text})
	s := open(t, host, schema, connection(srv)+`
table      = "contact"
operation  = "delete"
on_missing = "reject"
key        = { emailaddress1 = "email" }
`)
	res := write(t, s, record(host.Mem, schema, []any{"a@example.com"}, []any{"gone@example.com"}, []any{"b/c@example.com"}, []any{"gone/too@example.com"}))
	rejects := rejectsByRow(res.Rejects)
	if res.Deleted != 2 || res.Skipped != 0 || len(rejects) != 2 {
		t.Fatalf("result %+v, want 2 deleted and rows 1 and 3 rejected", res)
	}
	for _, row := range []int{1, 3} {
		if rejects[row].Code != "dynamics.missing" {
			t.Errorf("row %d: code %q, want dynamics.missing", row, rejects[row].Code)
		}
		mustContain(t, "missing", rejects[row].Message, "does not exist")
	}
	if n, _ := srv.Count("contact"); n != 0 {
		t.Errorf("%d contacts left, want 0", n)
	}
}

// TestAMissingWritePrivilegeStopsTheRun: a 403 for a privilege concerns
// every row, so the write fails with what the administrator must grant
// instead of rejecting the rows one by one.
func TestAMissingWritePrivilegeStopsTheRun(t *testing.T) {
	srv := startEmulator(t, emulatortest.WithUsers(
		emulator.AppUser{Name: "# cannot create contacts", Deny: map[string][]emulator.Privilege{"contact": {emulator.PrivilegeCreate}}}))
	u := srv.Users()[0]
	host := testhost.New(t)
	schema := schemaOf(col{"email", text})
	s := open(t, host, schema, strings.NewReplacer(srv.ClientID, u.ClientID, srv.ClientSecret, u.ClientSecret).Replace(connection(srv))+emailOnly)
	rec := record(host.Mem, schema, []any{"a@example.com"}, []any{"b@example.com"})
	defer rec.Release()
	res, err := s.Write(t.Context(), rec)
	if err == nil {
		t.Fatalf("the write succeeded without the Create privilege: %+v", res)
	}
	mustContain(t, "error", err.Error(), "403", "lacks prvCreateContact", "Edit security roles", "Create, Read and Write on contact")
	if n, _ := srv.Count("contact"); n != 0 {
		t.Errorf("%d contacts created", n)
	}
}
