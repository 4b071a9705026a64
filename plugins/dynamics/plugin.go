package dynamics

import "github.com/sluicedata/sluice/sdk"

// DefaultRows is the default number of rows per write request. Microsoft
// recommends 100 to 1,000 rows per bulk request; with small records and no
// plug-ins 1,000 gives the most rows per second under the service's
// execution-time budget, since each request also costs a fixed overhead.
const DefaultRows = 1000

// Plugin is the Dynamics 365 (Dataverse) sink.
var Plugin = sdk.SinkPlugin(sdk.Info{
	Name:    "dynamics",
	Version: "1.0.0",
	Summary: "Upserts, creates, updates or deletes rows of a Dynamics 365 / Dataverse table through the Web API.",
	Description: "Maps each input row to a Dataverse record with expressions checked against the table's definition, " +
		"writes in batches with the bulk messages (UpsertMultiple, CreateMultiple, UpdateMultiple) or $batch, " +
		"paces itself to the service protection limits, and reports every row it could not write with Dataverse's " +
		"error code and message. `batch { rows = … }` sets the rows per request (at most 1,000). " +
		"`sluice check` tests the connection and tells an administrator what to fix. See docs/dynamics.md.",
	Examples: []sdk.Example{{
		Title: "Upsert contacts by their email, an alternate key",
		HCL: `sink "dynamics" "contacts" {
  input = transform.normalize
  url   = var.dataverse_url
  auth {
    tenant_id     = var.tenant_id
    client_id     = var.client_id
    client_secret = var.client_secret
  }
  table     = "contact"
  operation = "upsert"
  key       = { emailaddress1 = "lower(trim(email))" }
  mapping {
    firstname                  = "first_name"
    lastname                   = "last_name ?? 'Unknown'"
    parentcustomerid           = { lookup = "account", by = { accountnumber = "company_id" } }
    preferredcontactmethodcode = "'Email'"
  }
  batch { rows = 500 }
  rejects = sink.rejects
}`,
	}},
	Writes: sdk.WritePolicy{Rows: DefaultRows, MaxRows: 1000, InFlight: 16, MaxInFlight: 64},
}, func(cfg Config) (sdk.Sink, error) {
	s, err := newSink(cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
})
