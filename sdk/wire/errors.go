package wire

import (
	"context"
	"errors"
	"time"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/wire/internal/pb"
)

// encodeError turns a plugin's error into its wire form, keeping
// diagnostics (with their paths and positions) and cancellation.
func encodeError(err error) *pb.Error {
	if err == nil {
		return nil
	}
	e := &pb.Error{Message: err.Error(), Canceled: errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)}
	var ds sdk.Diagnostics
	var d sdk.Diagnostic
	switch {
	case errors.As(err, &ds):
	case errors.As(err, &d):
		ds = sdk.Diagnostics{d}
	}
	for _, d := range ds {
		pd := &pb.Diagnostic{Warning: d.Severity == sdk.Warning, Summary: d.Summary, Detail: d.Detail, Path: d.Path}
		if d.Pos != nil {
			pd.Line, pd.Column = int32(d.Pos.Line), int32(d.Pos.Column)
		}
		e.Diagnostics = append(e.Diagnostics, pd)
	}
	return e
}

// decodeError is the inverse of encodeError: diagnostics come back as
// sdk.Diagnostics, so that the engine maps them to file:line:column.
func decodeError(e *pb.Error) error {
	if e == nil {
		return nil
	}
	if len(e.Diagnostics) > 0 {
		ds := make(sdk.Diagnostics, len(e.Diagnostics))
		for i, pd := range e.Diagnostics {
			d := sdk.Diagnostic{Summary: pd.Summary, Detail: pd.Detail}
			if pd.Warning {
				d.Severity = sdk.Warning
			}
			if len(pd.Path) > 0 {
				d.Path = sdk.Path(pd.Path)
			}
			if pd.Line > 0 || pd.Column > 0 {
				d.Pos = &sdk.Pos{Line: int(pd.Line), Column: int(pd.Column)}
			}
			ds[i] = d
		}
		return ds
	}
	if e.Canceled {
		return &remoteError{msg: e.Message, canceled: true}
	}
	return &remoteError{msg: e.Message}
}

// remoteError is an error a plugin returned, with its message.
type remoteError struct {
	msg      string
	canceled bool
}

func (e *remoteError) Error() string { return e.msg }

// Is makes a cancellation in the plugin match context.Canceled, as it does
// in-process.
func (e *remoteError) Is(target error) bool { return e.canceled && target == context.Canceled }

func encodeRowErrors(errs []sdk.RowError) []*pb.RowError {
	if len(errs) == 0 {
		return nil
	}
	out := make([]*pb.RowError, len(errs))
	for i, e := range errs {
		out[i] = &pb.RowError{Row: int64(e.Row), Code: e.Code, Message: e.Message, Retryable: e.Retryable, RetryAfterNanos: int64(e.RetryAfter)}
	}
	return out
}

func decodeRowErrors(errs []*pb.RowError) []sdk.RowError {
	if len(errs) == 0 {
		return nil
	}
	out := make([]sdk.RowError, len(errs))
	for i, e := range errs {
		out[i] = sdk.RowError{Row: int(e.Row), Code: e.Code, Message: e.Message, Retryable: e.Retryable, RetryAfter: time.Duration(e.RetryAfterNanos)}
	}
	return out
}
