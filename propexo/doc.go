// Package propexo is a typed client for Propexo: its asynchronous prospect
// writes (create and update a CRM prospect, then read or retry the write
// job, and the lead list a lost answer is reconciled with), the lease,
// resident and lease-transfer reads of the lease sync, the webhook
// configuration, and the check of a webhook delivery's signature. The
// partner facts it follows are in docs/partners/propexo.md.
//
// A 200 from Propexo only means "accepted": the returned job id is polled with
// [Client.WriteStatus] until it leaves PENDING. The client never retries on
// its own; durable, idempotent delivery belongs to the caller's job queue.
// The client does classify every failure for that queue: [Retryable] says
// whether trying again can help, [MaybeApplied] whether the write may already
// have happened (a lost response), and [RetryAfter] how long to wait.
//
// Requests are validated locally with the partner's field limits before they
// are sent, so a bad prospect fails fast with a [*ValidationError] naming the
// field by its JSON name, and never uses up the rate limit.
//
// The package imports the standard library only; propexotest holds a
// simulator of the partner for tests and demo mode.
package propexo
