package dynamics_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

func TestBadRowsOfABulkRequestAreIsolated(t *testing.T) {
	for _, bad := range []int{1, 3, 150} {
		t.Run(fmt.Sprintf("%d bad of 1000", bad), func(t *testing.T) {
			srv := startEmulator(t, withFaults(emulator.Fault{Kind: emulator.FaultRecord, Table: "contact", Column: "lastname", Value: "refuse",
				Message: "A plug-in refused this contact."}))
			host := testhost.New(t)
			schema := schemaOf(col{"email", text}, col{"last", text})
			s := open(t, host, schema, connection(srv)+`
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  lastname = "last"
}
`)
			var rows [][]any
			isBad := map[int]bool{}
			for i := range 1000 {
				last := "fine"
				if i*bad%1000 < bad {
					last, isBad[i] = "refuse", true
				}
				rows = append(rows, []any{fmt.Sprintf("r%d@example.com", i), last})
			}
			res := write(t, s, record(host.Mem, schema, rows...))
			if len(res.Rejects) != len(isBad) {
				t.Fatalf("%d rejects, want %d", len(res.Rejects), len(isBad))
			}
			for _, r := range res.Rejects {
				if !isBad[r.Row] || r.Code != "0x80040265" || r.Message != "A plug-in refused this contact." {
					t.Errorf("reject %+v", r)
				}
			}
			if n, _ := srv.Count("contact"); n != 1000-len(isBad) {
				t.Errorf("%d contacts, want %d", n, 1000-len(isBad))
			}
			ops := operations(srv)
			t.Logf("%d bad rows: requests %v", len(isBad), ops)
			if len(isBad) == 1 && ops["UpsertMultiple"] > 2*10+1 {
				t.Errorf("isolating one row took %d bulk requests; bisection needs about 2·log2(1000)", ops["UpsertMultiple"])
			}
			if ops["UpsertMultiple"]+ops["batch"] > 60 {
				t.Errorf("isolating %d rows took %d requests", len(isBad), ops["UpsertMultiple"]+ops["batch"])
			}
		})
	}
}

func TestTablesWithoutBulkMessagesUseBatch(t *testing.T) {
	tables := testTables + `
table "sluice_legacy" {
  bulk_operations = false
  column "sluice_code" {
    type       = "string"
    max_length = 20
  }
  key "code" {
    columns = ["sluice_code"]
  }
}
`
	srv := startEmulator(t, func(o *emulator.Options) {
		tt, err := emulator.ParseTables([]byte(tables), "tables.hcl")
		if err != nil {
			t.Fatal(err)
		}
		o.Tables = tt
	})
	host := testhost.New(t)
	schema := schemaOf(col{"code", text}, col{"name", text})
	body := `
table = "sluice_legacy"
key   = { sluice_code = "code" }
mapping {
  sluice_name = "name"
}
`
	s := open(t, host, schema, connection(srv)+body)
	var rows [][]any
	for i := range 250 {
		rows = append(rows, []any{fmt.Sprintf("C%d", i), fmt.Sprintf("Name %d", i)})
	}
	rows[7][1] = string(make([]byte, 500)) // too long for the primary name: refused by the client
	res := write(t, s, record(host.Mem, schema, rows...))
	if len(res.Rejects) != 1 || res.Rejects[0].Row != 7 {
		t.Errorf("rejects %+v", res.Rejects)
	}
	if n, _ := srv.Count("sluice_legacy"); n != 249 {
		t.Errorf("%d records, want 249", n)
	}
	if ops := operations(srv); ops["UpsertMultiple"] != 0 || ops["batch"] != 3 {
		t.Errorf("requests %v, want three $batch of at most 100", ops)
	}
	if _, err := build(t, connection(srv)+body+`write_path = "bulk"`); err != nil {
		t.Fatal(err)
	}
	forced, _ := build(t, connection(srv)+body+`write_path = "bulk"`)
	err := forced.Open(t.Context(), host, schema)
	_ = forced.Close(t.Context())
	if err == nil {
		t.Error("write_path = \"bulk\" was accepted for a table without bulk messages")
	} else {
		mustContain(t, "error", err.Error(), "does not support UpsertMultiple")
	}
}

func TestABulkMessageRefusedAtRunTimeFallsBackToBatch(t *testing.T) {
	srv := startEmulator(t, withFaults(emulator.Fault{Kind: emulator.FaultError, Status: 400, Code: "0x80040800",
		Message: "The 'UpsertMultiple' method does not support entities of type 'contact'.", Path: "UpsertMultiple"}))
	host := testhost.New(t)
	schema := schemaOf(col{"email", text})
	s := open(t, host, schema, connection(srv)+`
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  lastname = "email"
}
`)
	for range 2 {
		res := write(t, s, record(host.Mem, schema, []any{"a@x.com"}, []any{"b@x.com"}))
		if len(res.Rejects) != 0 {
			t.Fatalf("rejects %+v", res.Rejects)
		}
	}
	bulk := 0
	for _, e := range srv.RequestLog() {
		if strings.Contains(e.Path, "UpsertMultiple") {
			bulk++
		}
	}
	if ops := operations(srv); bulk != 1 || ops["batch"] != 2 {
		t.Errorf("%d UpsertMultiple, requests %v: want one refused UpsertMultiple, then $batch only", bulk, ops)
	}
}
