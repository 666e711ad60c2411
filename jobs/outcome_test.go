package jobs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/propexo"
)

// Each outcome becomes what River expects of Work: nil, a snooze for the
// wait, a cancel keeping the reason, or the error itself (River's backoff);
// and a retry after Propexo's rate limit, however wrapped, waits what the
// limit asks instead of failing an attempt.
func TestToRiver(t *testing.T) {
	boom := errors.New("connection reset")
	if err := toRiver(workflow.Done()); err != nil {
		t.Errorf("done: %v", err)
	}
	if err := toRiver(workflow.Outcome{}); err != nil {
		t.Errorf("the zero outcome: %v", err)
	}
	if err := toRiver(workflow.Retry(nil)); err != nil {
		t.Errorf("a retry without an error: %v", err)
	}
	if err := toRiver(workflow.Retry(boom)); err != boom {
		t.Errorf("retry: %v, want the error itself", err)
	}
	var cancel *river.JobCancelError
	if err := toRiver(workflow.Cancel(boom)); !errors.As(err, &cancel) || !errors.Is(err, boom) {
		t.Errorf("cancel: %#v, want River's cancel of the reason", err)
	}
	if err := toRiver(workflow.Cancel(nil)); !errors.As(err, &cancel) {
		t.Errorf("cancel without a reason: %#v", err)
	}
	for _, c := range []struct {
		name string
		o    workflow.Outcome
		want time.Duration
	}{
		{"snooze", workflow.Snooze(3 * time.Second), 3 * time.Second},
		{"a negative snooze", workflow.Snooze(-time.Second), 0},
		{"a 429", workflow.Retry(&propexo.APIError{StatusCode: 429, RetryAfter: 7 * time.Second}), 7 * time.Second},
		{"the client holding back", workflow.Retry(fmt.Errorf("reading leases: %w", &propexo.RateLimitError{RetryAfter: 2 * time.Second})), 2 * time.Second},
		{"a 429 naming no wait", workflow.Retry(&propexo.APIError{StatusCode: 429}), time.Second},
	} {
		var snooze *rivertype.JobSnoozeError
		if err := toRiver(c.o); !errors.As(err, &snooze) || snooze.Duration != c.want {
			t.Errorf("%s: %#v, want a snooze of %s", c.name, err, c.want)
		}
	}
	if err := toRiver(workflow.Retry(&propexo.APIError{StatusCode: 503})); errors.As(err, new(*rivertype.JobSnoozeError)) {
		t.Errorf("a 503 was snoozed: %v", err)
	}
}

// Snoozes count in River's attempt and raise MaxAttempts; the failures a
// step sees are the job's errors only.
func TestAttempt(t *testing.T) {
	job := &river.Job[SendSMSArgs]{JobRow: &rivertype.JobRow{Attempt: 5, MaxAttempts: 6, Errors: []rivertype.AttemptError{{}, {}}}}
	if got := attempt(job); got != (workflow.Attempt{Failures: 2}) {
		t.Errorf("%+v", got)
	}
	job.Attempt = 6
	if got := attempt(job); !got.Last {
		t.Errorf("%+v, want the last", got)
	}
}
