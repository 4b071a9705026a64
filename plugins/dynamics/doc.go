// Package dynamics is the Dynamics 365 (Microsoft Dataverse) sink: it writes
// a pipeline's rows to a Dataverse table through the Web API — upserting by
// an alternate key, creating, updating or deleting — and accounts for every
// row.
//
// Reverse-ETL teams push warehouse segments into their CRM with it. What they
// need, and what the files of this package do, one job each:
//
//   - config.go: the pipeline-file block, checked when it is read.
//   - auth.go: tokens from Microsoft Entra ID with MSAL's confidential client
//     (a secret, or a PEM or PFX certificate), kept until shortly before they
//     expire. Secrets never reach a log line, an error or a rejected row.
//   - client.go: Web API requests with the OData headers, no cookie jar (so
//     no server affinity), and Dataverse's error bodies decoded into status,
//     code and message.
//   - metadata.go: the table's definition — column types, lengths, option
//     sets with labels, lookup targets with their navigation properties,
//     alternate keys — and whether it takes the bulk messages.
//   - mapping.go, convert.go, keys.go: the mapping's expressions, compiled
//     against the input schema (offline too, so `sluice validate` catches
//     expression mistakes without a connection) and checked against the
//     definition (unknown or read-only columns, types that do not convert,
//     constants that do not fit — each at its file, line and column). Per
//     row, values are converted to what the Web API takes: option labels to
//     their values, lookups to @odata.bind, times to UTC. A value that does not
//     fit rejects its row, not its batch.
//   - prepare.go: a batch's rows evaluated into request bodies.
//   - write.go, batchcodec.go, resolve.go: requests. Bulk messages where the
//     table supports them, $batch with continue-on-error otherwise; a bulk
//     request that fails as a whole is split until the bad rows are found.
//     Every request is safe to repeat, so transient failures are retried
//     without creating duplicates; keys a URL cannot hold (a + in an email)
//     are looked up by query and addressed by id.
//   - inflight.go: writes of the same record stay in order although the
//     engine writes several batches at once.
//   - governor.go, retry.go: the pace. Retry-After pauses the whole sink;
//     concurrency starts at the service's x-ms-dop-hint and adapts to 429s;
//     transient errors are retried with exponential backoff and jitter; rows
//     whose retries run out are rejected with the last error, never lost.
//   - leave.go: change-only syncs. The sink is an sdk.Syncer — its key
//     expressions name the input columns that identify a record — and acts
//     on the records of rows that left the segment: delete, deactivate
//     (the table's Inactive state, from its definition) or clear the
//     mapped columns, through the same write path, never creating a record.
//     It is sdk.Idempotent unless it creates.
//   - check.go, advice.go: `sluice check`, which tests the connection and turns
//     401, 403, 404, DNS and TLS failures into steps an administrator can
//     take.
//
// Matching and merging (docs/matching.md), for the match, merge and account
// blocks:
//
//   - matchconfig.go, mergespec.go: the blocks and the merge options of
//     mapping entries, checked when they are read.
//   - matchcompile.go, matchbind.go: rules, hierarchies, defaults and
//     order_by compiled against the input schema (offline), then bound to
//     every table searched and written; matchcheck.go is its `sluice check`
//     step.
//   - matchkeys.go, matchquery.go: a row's values for a rule, compared as the
//     rule says, and the batched lookups — one query per rule, table and
//     batch (In, or-chains, contains), split into a $batch past the URL
//     limit, literals escaped.
//   - matchresolve.go: a batch through the match, step by step;
//     matchsearch.go the rules in order and on_multiple; matchdecide.go
//     on_match, on_none and duplicates of the run collapsed by keep, under
//     ledger.go's record of what the run wrote and created; matchlookups.go
//     the mapping's lookups by key.
//   - merge.go: per-field policies against the record's current values;
//     unchanged rows send nothing.
//   - account.go: parent accounts found by rules, created once per run.
//   - matchwrite.go: matched rows written by id through the write path above.
//   - plan.go, plankeyed.go, testmapping.go: sdk.Planner for `sluice plan`
//     (sinks without a match block are planned as one with a rule on their
//     key) and sdk.MappingTester for `sluice test-mapping`.
//
// Tests run against the Dataverse emulator (package emulator), over TLS, with
// tokens from its authority through MSAL: there is no fake of Dataverse in
// Go; package synctest runs whole syncs, and kills them. docs/dynamics.md is
// the user's guide.
package dynamics
