package sdk

import (
	"fmt"
	"time"
)

// RowError says why one row of a batch could not be read, processed or
// written.
type RowError struct {
	// Row is the index of the row in the batch the error refers to.
	Row int
	// Code is a short, stable identifier that tools can match on, such as
	// "csv.parse", "expr.eval" or a destination's own error code.
	Code string
	// Message explains the problem to a person. It must not contain secrets.
	Message string
	// Retryable marks a transient failure (a timeout, a throttled request):
	// the engine writes the row again later. Sinks only.
	Retryable bool
	// RetryAfter is how long the destination asked to wait before a retry.
	RetryAfter time.Duration
}

func (e RowError) Error() string {
	return fmt.Sprintf("row %d: %s: %s", e.Row, e.Code, e.Message)
}
