package jobs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/leases/propexosync"
)

// A re-fetch whose answer cannot change by asking again is cancelled, not
// retried twelve times (each retry repeats every Propexo call it made).
func TestRefreshOutcomeCancelsWhatCannotChange(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("%w: lease L1", propexosync.ErrOtherIntegration),
		fmt.Errorf("%w: %q", propexosync.ErrUnknownModel, "units"),
		propexosync.ErrNoIntegration,
	} {
		var cancel *river.JobCancelError
		if got := refreshOutcome(err); !errors.As(got, &cancel) {
			t.Errorf("%v: outcome %v, want the job cancelled", err, got)
		}
	}
	if got := refreshOutcome(errors.New("connection reset")); errors.As(got, new(*river.JobCancelError)) {
		t.Errorf("a transient error was cancelled: %v", got)
	}
}
