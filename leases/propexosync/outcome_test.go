package propexosync_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo"
)

// A re-fetch whose answer cannot change by asking again is cancelled, not
// retried twelve times (each retry repeats every Propexo call it made).
func TestRefreshOutcomeCancelsWhatCannotChange(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("%w: lease L1", propexosync.ErrOtherIntegration),
		fmt.Errorf("%w: %q", propexosync.ErrUnknownModel, "units"),
		propexosync.ErrNoIntegration,
	} {
		if got := propexosync.RefreshOutcome(err); got.Action != workflow.ActionCancel || !errors.Is(got.Err, err) {
			t.Errorf("%v: outcome %v (%v), want the job cancelled", err, got.Action, got.Err)
		}
	}
	if got := propexosync.RefreshOutcome(errors.New("connection reset")); got.Action != workflow.ActionRetry {
		t.Errorf("a transient error was %v", got.Action)
	}
	// The rate limit is a retry here: the queue's one mapping makes it a wait.
	if got := propexosync.RefreshOutcome(&propexo.APIError{StatusCode: 429}); got.Action != workflow.ActionRetry {
		t.Errorf("a 429 was %v", got.Action)
	}
}
