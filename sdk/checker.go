package sdk

import "context"

// Checker is implemented by plugins that connect to a remote system, so that
// `sluice check` can test the connection before any data moves and tell the
// person at the keyboard what to fix.
//
// The engine builds and opens the plugin offline (Host.Offline reports true
// in Open, so Open does no I/O), then calls Check with a Host that is online.
// Check runs its steps in order — authenticate, reach the service, read what
// the configuration names — and stops at the first that fails. It never
// writes.
//
// Out-of-process plugins cannot offer it yet: the gRPC transport does not
// carry it.
type Checker interface {
	Check(ctx context.Context, host Host) []CheckStep
}

// CheckStep is one step of a connection check, such as getting a token or
// reading a table's definition.
type CheckStep struct {
	// Name is short: "token", "WhoAmI", "table contact".
	Name string
	// OK says whether the step passed.
	OK bool
	// Detail says what was verified, or what went wrong. It must not contain
	// secrets.
	Detail string
	// Advice, for a failed step, says what to do about it, in terms the
	// administrator of the remote system acts on.
	Advice string
}
