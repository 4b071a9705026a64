package dynamics_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedata/sluice/plugins/dynamics"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

// sampleTable is a custom table shaped like plugintest's sample rows,
// upserted by an alternate key on the id.
const sampleTable = `
table "sluice_sample" {
  column "sluice_id" {
    type = "integer"
  }
  column "sluice_label" {
    type       = "string"
    max_length = 20
  }
  column "sluice_score" {
    type = "double"
  }
  column "sluice_active" {
    type = "boolean"
  }
  key "id" {
    columns = ["sluice_id"]
  }
}
`

func TestSinkConformance(t *testing.T) {
	tables, err := emulator.ParseTables([]byte(sampleTable), "sample.hcl")
	if err != nil {
		t.Fatal(err)
	}
	srv := emulatortest.Start(t, emulatortest.WithTables(tables),
		emulatortest.WithFaults(emulator.Fault{Kind: emulator.FaultRecord, Table: "sluice_sample", Column: "sluice_label", Value: "refused by a plug-in"}))
	conn := connection(srv)
	config := conn + `
table = "sluice_sample"
key   = { sluice_id = "id" }
mapping {
  sluice_label  = "name"
  sluice_score  = "score"
  sluice_active = "active"
}
`
	plugintest.Sink(t, plugintest.SinkSuite{
		Common: plugintest.Common{
			Plugin: dynamics.Plugin,
			Config: config,
			BadConfigs: []plugintest.BadConfig{
				{HCL: conn + `table = "sluice_sample"` + "\nmapping {\n sluice_label = \"name\"\n}\n", Path: sdk.Path{"operation"}},
				{HCL: conn + `table = "sluice_sample"` + "\noperation = \"merge\"\nkey = { sluice_id = \"id\" }\nmapping {\n sluice_label = \"name\"\n}\n", Path: sdk.Path{"operation"}},
				{HCL: conn + `table = "Sample Table"` + "\nkey = { sluice_id = \"id\" }\nmapping {\n sluice_label = \"name\"\n}\n", Path: sdk.Path{"table"}},
				{HCL: conn + `table = "sluice_sample"` + "\nkey = { sluice_id = \"id\" }\n"},
				{HCL: `url = "https://x.crm.dynamics.com"` + "\ntable = \"contact\"\nkey = { emailaddress1 = \"email\" }\nmapping {\n lastname = \"x\"\n}\nauth {\n tenant_id = \"t\"\n client_id = \"c\"\n}\n", Path: sdk.Path{"auth"}},
			},
		},
		Input: plugintest.SampleBatches,
		ReadBack: func(context.Context) ([]arrow.RecordBatch, error) {
			return readSample(srv)
		},
		Reset:      func(context.Context) error { return srv.Reset() },
		Idempotent: true,
		BadInput: func(mem memory.Allocator) (arrow.RecordBatch, []int) {
			b := array.NewRecordBuilder(mem, plugintest.SampleSchema)
			defer b.Release()
			names := []string{"fine", "a name far too long for the column", "fine too", "refused by a plug-in", "ok"}
			for i, n := range names {
				b.Field(0).(*array.Int64Builder).Append(int64(100 + i))
				b.Field(1).(*array.StringBuilder).Append(n)
				b.Field(2).(*array.Float64Builder).Append(1)
				b.Field(3).(*array.BooleanBuilder).Append(true)
			}
			return b.NewRecordBatch(), []int{1, 3}
		},
	})
}

// readSample reads the sample table back in plugintest's sample schema.
func readSample(srv *emulator.Server) ([]arrow.RecordBatch, error) {
	recs, err := srv.Records("sluice_sample")
	if err != nil {
		return nil, err
	}
	b := array.NewRecordBuilder(memory.NewGoAllocator(), plugintest.SampleSchema)
	defer b.Release()
	for _, r := range recs {
		id, err := strconv.ParseInt(fmt.Sprint(r["sluice_id"]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sluice_id %v: %w", r["sluice_id"], err)
		}
		b.Field(0).(*array.Int64Builder).Append(id)
		if v, ok := r["sluice_label"]; ok {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprint(v))
		} else {
			b.Field(1).AppendNull()
		}
		if v, ok := r["sluice_score"]; ok {
			f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
			if err != nil {
				return nil, err
			}
			b.Field(2).(*array.Float64Builder).Append(f)
		} else {
			b.Field(2).AppendNull()
		}
		b.Field(3).(*array.BooleanBuilder).Append(r["sluice_active"] == true)
	}
	return []arrow.RecordBatch{b.NewRecordBatch()}, nil
}
