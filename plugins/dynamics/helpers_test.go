package dynamics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/dynamics"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
	"github.com/sluicedata/sluice/sdk"
)

// testTables adds what the tests need to the emulator's default tables: an
// alternate key on account numbers, and a custom table with a choice
// column, a multi-select column and a composite key.
const testTables = `
table "account" {
  key "accountnumber" {
    columns = ["accountnumber"]
  }
}
table "sluice_member" {
  column "sluice_code" {
    type       = "string"
    max_length = 40
  }
  column "sluice_region" {
    type       = "string"
    max_length = 10
  }
  column "sluice_tier" {
    type    = "picklist"
    options = { "Bronze" = 100000000, "Silver" = 100000001, "Gold" = 100000002 }
  }
  column "sluice_interests" {
    type    = "multiselect"
    options = { "Sailing" = 1, "Chess" = 2, "Cooking" = 3 }
  }
  column "sluice_joined" {
    type = "datetime"
  }
  column "sluice_birthday" {
    type     = "datetime"
    format   = "date"
    behavior = "date_only"
  }
  column "sluice_points" {
    type = "integer"
    min  = 0
    max  = 1000000
  }
  column "sluice_score" {
    type = "double"
  }
  column "sluice_active" {
    type = "boolean"
  }
  column "sluice_contactid" {
    type    = "lookup"
    targets = ["contact"]
  }
  key "code_region" {
    columns = ["sluice_code", "sluice_region"]
  }
}
`

// startEmulator starts an emulator over TLS with the test tables.
func startEmulator(t testing.TB, opts ...emulatortest.Option) *emulator.Server {
	t.Helper()
	tables, err := emulator.ParseTables([]byte(testTables), "tables.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return emulatortest.Start(t, append([]emulatortest.Option{emulatortest.WithTables(tables)}, opts...)...)
}

// connection is the url and auth of a sink writing to srv.
func connection(srv *emulator.Server) string {
	return fmt.Sprintf(`
url = %q
auth {
  tenant_id     = %q
  client_id     = %q
  client_secret = %q
  authority     = %q
  ca_file       = %q
}
`, srv.URL(), srv.TenantID, srv.ClientID, srv.ClientSecret, srv.Authority(), srv.CAFile())
}

// build builds a sink from its block's body.
func build(t testing.TB, body string) (*dynamics.Sink, error) {
	t.Helper()
	inst, err := testhost.Build(t, dynamics.Plugin, body)
	if err != nil {
		return nil, err
	}
	return inst.(*dynamics.Sink), nil
}

// open builds and opens a sink online, closing it when the test ends.
func open(t testing.TB, host *testhost.Host, schema *arrow.Schema, body string) *dynamics.Sink {
	t.Helper()
	s, err := build(t, body)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if err := s.Open(context.Background(), host, schema); err != nil {
		if ds, ok := err.(sdk.Diagnostics); !ok || ds.HasErrors() {
			t.Fatalf("open: %v", err)
		}
	}
	return s
}

// col describes an input column for record.
type col struct {
	name string
	typ  arrow.DataType
}

func schemaOf(cols ...col) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

var (
	text  = arrow.BinaryTypes.String
	whole = arrow.PrimitiveTypes.Int64
	real  = arrow.PrimitiveTypes.Float64
	flag  = arrow.FixedWidthTypes.Boolean
	stamp = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// record builds a batch of schema from rows of Go values (nil for null).
func record(mem memory.Allocator, schema *arrow.Schema, rows ...[]any) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			fb := b.Field(i)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch x := fb.(type) {
			case *array.StringBuilder:
				x.Append(v.(string))
			case *array.Int64Builder:
				x.Append(int64(v.(int)))
			case *array.Float64Builder:
				x.Append(v.(float64))
			case *array.BooleanBuilder:
				x.Append(v.(bool))
			case *array.TimestampBuilder:
				x.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
			default:
				panic(fmt.Sprintf("record: builder %T", fb))
			}
		}
	}
	return b.NewRecordBatch()
}

// write writes one batch and fails the test on an error.
func write(t testing.TB, s *dynamics.Sink, rec arrow.RecordBatch) sdk.WriteResult {
	t.Helper()
	defer rec.Release()
	res, err := s.Write(context.Background(), rec)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	return res
}

// records returns a table's records keyed by the value of one column.
func records(t testing.TB, srv *emulator.Server, table, by string) map[string]map[string]any {
	t.Helper()
	recs, err := srv.Records(table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range recs {
		k := fmt.Sprint(r[by])
		if _, dup := out[k]; dup {
			t.Errorf("%s: two records have %s = %s", table, by, k)
		}
		out[k] = r
	}
	return out
}

// rejectsByRow indexes row errors by row.
func rejectsByRow(errs []sdk.RowError) map[int]sdk.RowError {
	out := map[int]sdk.RowError{}
	for _, e := range errs {
		out[e.Row] = e
	}
	return out
}

func mustContain(t testing.TB, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q does not mention %q", what, s, p)
		}
	}
}
