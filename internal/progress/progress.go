// Package progress lets long work inside a request say that it is still
// moving. A request's deadline (internal/middleware's Deadline) is then an
// idle deadline for it: work that keeps reporting, a lease import writing
// its batches, runs to its end however long its feed; work that stops
// reporting is still cut off one timeout after its last report. Only work
// whose length is its input's, bounded by the request body's cap, reports.
package progress

import "context"

type key struct{}

// With returns ctx in which Report calls report.
func With(ctx context.Context, report func()) context.Context {
	return context.WithValue(ctx, key{}, report)
}

// Report says the work of ctx's request is moving; outside a request with
// a deadline it does nothing.
func Report(ctx context.Context) {
	if report, ok := ctx.Value(key{}).(func()); ok {
		report()
	}
}
