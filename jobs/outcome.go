package jobs

import (
	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/propexo"
)

// toRiver is the one mapping from a domain step's outcome to River's: the
// error Work returns. A retry after Propexo's rate limit is a snooze for
// the wait the limit asks (propexo.RetryAfter), not a failed attempt: the
// budget is the account's, shared by deliveries and syncs, and the same
// request goes through once it has passed. River's snooze adds an attempt
// to MaxAttempts, so waiting never uses up a job's retries.
func toRiver(o workflow.Outcome) error {
	switch o.Action {
	case workflow.ActionDone:
		return nil
	case workflow.ActionSnooze:
		return river.JobSnooze(o.Wait)
	case workflow.ActionCancel:
		return river.JobCancel(o.Err)
	}
	if wait, ok := propexo.RetryAfter(o.Err); ok {
		return river.JobSnooze(wait)
	}
	return o.Err
}

// attempt is where job stands among its tries. job.Attempt counts snoozes
// too (each also raises MaxAttempts); the failures are the job's errors.
func attempt[T river.JobArgs](job *river.Job[T]) workflow.Attempt {
	return workflow.Attempt{Failures: len(job.Errors), Last: job.Attempt >= job.MaxAttempts}
}
