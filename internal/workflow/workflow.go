// Package workflow is what a domain's background step tells the queue:
// done, retry after an error, wait, or stop for good. The domains
// (prospects' delivery, sms' send, leases/propexosync's runs and
// re-reads) decide their outcome and record it on their rows; jobs alone
// turns an Outcome into River's terms, so no domain imports River or jobs.
// It imports nothing of ours, so that both sides may import it.
package workflow

import (
	"errors"
	"time"
)

// Action is what the queue does with the step's job.
type Action int

// The actions. The zero Outcome is ActionDone.
const (
	// ActionDone: the job is complete, nothing follows.
	ActionDone Action = iota
	// ActionRetry: the attempt failed; the queue tries again after its
	// backoff while attempts remain (after Propexo's rate limit, when the
	// limit asks: jobs' one mapping reads propexo.RetryAfter).
	ActionRetry
	// ActionSnooze: not a failure; the step runs again after Wait.
	ActionSnooze
	// ActionCancel: the step will never succeed by trying again; Err says
	// why.
	ActionCancel
)

func (a Action) String() string {
	switch a {
	case ActionDone:
		return "done"
	case ActionRetry:
		return "retry"
	case ActionSnooze:
		return "snooze"
	case ActionCancel:
		return "cancel"
	}
	return "unknown"
}

// Outcome is how one attempt of a step ended.
type Outcome struct {
	Action Action
	// Err is a retry's error or a cancel's reason.
	Err error
	// Wait is a snooze's.
	Wait time.Duration
}

// Done is a step that is complete.
func Done() Outcome { return Outcome{} }

// Retry is an attempt that failed with err. Retry(nil) is Done, so that a
// step may end on its last write's error as is.
func Retry(err error) Outcome {
	if err == nil {
		return Done()
	}
	return Outcome{Action: ActionRetry, Err: err}
}

// Snooze runs the step again after d without counting a failure: waiting
// on a partner's job, or for a time the step itself set.
func Snooze(d time.Duration) Outcome { return Outcome{Action: ActionSnooze, Wait: max(d, 0)} }

// Cancel ends the step for good; reason is kept with the job.
func Cancel(reason error) Outcome {
	if reason == nil {
		reason = errors.New("cancelled")
	}
	return Outcome{Action: ActionCancel, Err: reason}
}

// Attempt is where a step stands among its tries, as the queue counts
// them: a step that records a failure for good on its last try, rather
// than leave its row waiting on a retry that never comes, needs to know.
type Attempt struct {
	// Failures is how many earlier tries failed; waits are not failures.
	Failures int
	// Last says no retry follows if this try fails.
	Last bool
}
