package dynamics

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ledger is what a sink remembers for one run, so that rows of different
// batches that resolve to the same record are treated as duplicates too:
//
//   - claims: every record written (or, in a plan, to be written), with the
//     rank of the row that wrote it, so that a later row of the run is
//     collapsed into it or wins over it as match.keep says;
//   - created: every record the run created, by the identities of the rows
//     that created it, so that a later row naming the same person finds it
//     even when no lookup can (in a plan, where nothing is created);
//   - accounts: every account the run created or is creating, by the
//     identities of the rows that named it, so that it is created once
//     however many rows, in however many concurrent batches, name it.
//
// It holds about 200 bytes per record written.
type ledger struct {
	mu       sync.Mutex
	claims   map[string]*claim
	created  map[string]*crmRecord
	accounts map[string]*accountClaim
}

// claim is the row that wrote a record.
type claim struct {
	rank rank
	row  string // the row, for messages
}

// rank orders rows that resolve to the same record: by the order_by value,
// then by arrival.
type rank struct {
	order any
	seq   int64
}

// accountClaim is an account this run creates: done is closed once it
// exists (id set) or could not be created (err set).
type accountClaim struct {
	done  chan struct{}
	id    string
	err   error
	label string
	// rec is the record, for rows of plans that associate with it.
	planned bool
}

func newLedger() *ledger {
	return &ledger{claims: map[string]*claim{}, created: map[string]*crmRecord{}, accounts: map[string]*accountClaim{}}
}

// wait waits until the account exists or failed.
func (a *accountClaim) wait(ctx context.Context) error {
	select {
	case <-a.done:
		return a.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// compareRank orders two ranks.
func compareRank(a, b rank) int {
	if c := compareOrder(a.order, b.order); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// compareOrder orders order_by values: null first, then numbers, times and
// text in their natural order; values of different types by their text.
func compareOrder(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if fa, ok := asFloat(a); ok {
		if fb, ok := asFloat(b); ok {
			return cmp.Compare(fa, fb)
		}
	}
	switch x := a.(type) {
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
