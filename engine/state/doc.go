// Package state keeps what a pipeline remembers between runs:
//
//   - checkpoints: where each source stopped, so that a run that crashed or
//     was interrupted resumes without losing or repeating rows, and where an
//     incremental source's high-water mark is;
//   - sync snapshots: for a sink that sends only changed rows, a hash of every
//     row it confirmed per key, so that the next run can tell new, changed,
//     unchanged and departed rows apart;
//   - run history: when each run started and ended, how, and what every node
//     counted.
//
// The state belongs to the user, in a store they choose: by default a file
// under .sluice/ beside the pipeline (a bbolt database: crash-safe, no
// server), or PostgreSQL for teams that run a pipeline from several machines
// and want one history. A Store is scoped to one pipeline, named by the
// pipeline's file or directory.
package state
