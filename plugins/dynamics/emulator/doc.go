// Package emulator is a local Microsoft Dataverse (Dynamics 365) Web API: a server that behaves like the real
// service wherever a client can tell the difference, so the Dynamics sink, its tests, the examples and the
// benchmarks run without a Dynamics tenant.
//
// Why: nobody on the team, in CI or among people trying Sluice has a tenant at hand, and a Go interface fake would
// only test the sink against our own assumptions. The emulator speaks real HTTP, issues real OAuth tokens that the
// MSAL Go confidential client accepts over TLS, and answers with the status codes, headers, error codes and body
// shapes documented by Microsoft (see docs/emulator.md for which behaviours are documented, observed or inferred).
//
// What it covers:
//   - Auth: an OAuth2 client-credentials token endpoint and OpenID discovery under /{tenant}/ (secret or
//     certificate), a generated CA for TLS, bearer checks with the WWW-Authenticate challenge, 403 for application
//     users lacking a privilege.
//   - Tables: contact, account, lead, task, systemuser and team with their real columns, types, lengths, option
//     sets, state/status and lookups; alternate keys and custom tables from an HCL tables file.
//   - Metadata: EntityDefinitions with $select/$filter/$expand and typed attribute casts, $metadata, the service
//     document, WhoAmI, and the sdkmessagefilters probe for bulk operation support.
//   - Records: create, retrieve, update, upsert (by id or alternate key, If-Match/If-None-Match), delete,
//     @odata.bind, ETags, validation errors.
//   - Queries: $select, $filter, $orderby, $top, $count, $expand, paging with odata.maxpagesize and $skiptoken
//     next links, formatted values and lookup annotations.
//   - $batch with atomic change sets, bulk CreateMultiple/UpdateMultiple/UpsertMultiple, change tracking.
//   - Service protection limits per application user, simulated server cost, fault injection, persistence,
//     a request log and inspection endpoints under /_emulator/.
//
// Tests start it in process with Start (or emulatortest.Start); people run it with "sluice emulator dynamics",
// implemented by Command.
package emulator
