// Package synctest tests change-only syncs into Dynamics 365 end to end:
// pipelines run by the engine — and by the sluice binary, killed mid-run —
// with a sync block on the Dynamics sink, against the Dataverse emulator,
// with the state in a file or in PostgreSQL. The tests count what reaches
// the emulator in its request log and compare the records it ends with.
//
// The package holds tests only.
package synctest
