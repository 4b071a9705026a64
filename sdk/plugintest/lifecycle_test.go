package plugintest_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedata/sluice/sdk"
	"github.com/sluicedata/sluice/sdk/plugintest"
)

func init() {
	scenario("opener", openerSuite, "ignores-cancel", "no-error", "good")
}

// openerTimeout is the suite's CancelTimeout for the opener: short, to keep
// the test fast, and far longer than a prompt return takes.
const openerTimeout = 300 * time.Millisecond

// The suite fails a plugin whose Open, cancelled while it runs, does not
// return promptly, in process and over gRPC, where the engine's side of
// the call returns at once whatever the plugin does; and one whose Open
// then returns no error.
func TestSuiteCatchesOpenThatIgnoresCancel(t *testing.T) {
	good := runScenario(t, "opener/good")
	good.passes(t)
	good.passesCases(t, both("Lifecycle/CancelDuringOpen")...)
	if good.failed["in-process/Lifecycle/CancelDuringOpen"] || !good.ok {
		return
	}
	ignores := runScenario(t, "opener/ignores-cancel")
	ignores.fails(t, `Open did not return within 300ms of its context being cancelled while it ran`, "in-process/Lifecycle/CancelDuringOpen")
	ignores.fails(t, `over gRPC, the plugin's Open had not returned 300ms after its context was cancelled`, "grpc/Lifecycle/CancelDuringOpen")
	// Its Open still runs when the case ends: the suite says so rather
	// than wait for it.
	ignores.fails(t, `over gRPC, the plugin was still in Open 300ms after the case ended`, "grpc/Lifecycle/CancelDuringOpen")
	// Over gRPC the engine's side returns the cancellation as its error.
	runScenario(t, "opener/no-error").fails(t, `Open returned no error when its context was cancelled while it ran`, "in-process/Lifecycle/CancelDuringOpen")
}

func openerSuite(t *testing.T, mode string) {
	plugintest.Transform(t, plugintest.TransformSuite{
		Common: plugintest.Common{
			Plugin: sdk.TransformPlugin(sdk.Info{Name: "opener"}, func(c brokenConfig) (sdk.Transform, error) {
				return &opener{mode: c.Mode}, nil
			}),
			Config:        `mode = "` + mode + `"`,
			CancelTimeout: openerTimeout,
			Skip:          otherCases("the opener's Open waits until its context is cancelled", "Lifecycle/CancelDuringOpen", "Config/Good", "Lifecycle/CloseWithoutOpen"),
		},
		Input: plugintest.SampleBatches,
	})
}

// opener's Open waits, as for a slow connection, until its context is
// cancelled, and then fails. Each mode but "good" breaks one rule.
type opener struct{ mode string }

func (o *opener) Open(ctx context.Context, _ sdk.Host, in *arrow.Schema) (*arrow.Schema, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch o.mode {
	case "ignores-cancel":
		time.Sleep(3 * openerTimeout) // a wait that does not heed ctx
		return in, nil
	case "no-error":
		<-ctx.Done()
		return in, nil
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Minute):
		return in, nil
	}
}

func (o *opener) Process(context.Context, arrow.RecordBatch) (sdk.Result, error) {
	return sdk.Result{}, nil
}

func (o *opener) Close(context.Context) error { return nil }
