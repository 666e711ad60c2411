package ent

// Hand-written: the one transaction rule every service, the GraphQL
// transactioner and the HTTP routes share. ent's generated Client.Tx only
// opens; it neither joins a caller's transaction nor closes on a panic, and
// four hand-kept variants of this grew around it before it existed.

import "context"

// WithTx runs fn in a transaction and returns its result. It joins the
// transaction in ctx when there is one (the caller then owns its commit or
// rollback); otherwise it opens one on c, commits when fn succeeds, and rolls
// back when fn returns an error or panics. fn's context carries the
// transaction (TxFromContext, FromContext), so every service fn calls joins
// it; tx is that transaction's client.
func WithTx[T any](ctx context.Context, c *Client, fn func(ctx context.Context, tx *Client) (T, error)) (res T, err error) {
	if tx := TxFromContext(ctx); tx != nil {
		return fn(ctx, tx.Client())
	}
	tx, err := c.Tx(ctx)
	if err != nil {
		return res, err
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	txc := tx.Client()
	if res, err = fn(NewContext(NewTxContext(ctx, tx), txc), txc); err != nil {
		_ = tx.Rollback()
		return res, err
	}
	if err := tx.Commit(); err != nil {
		// A commit hook (events.Recorder's) may fail before the commit
		// itself: the transaction is then still open and must be closed.
		_ = tx.Rollback()
		return res, &CommitError{Err: err}
	}
	return res, nil
}

// InTx is WithTx for work that returns only an error.
func InTx(ctx context.Context, c *Client, fn func(ctx context.Context, tx *Client) error) error {
	_, err := WithTx(ctx, c, func(ctx context.Context, tx *Client) (struct{}, error) {
		return struct{}{}, fn(ctx, tx)
	})
	return err
}

// Current is the client to read with: the transaction's in ctx, so that a
// read inside a write sees it (and, on SQLite's one connection, does not
// wait for it), or c outside one.
func Current(ctx context.Context, c *Client) *Client {
	if tx := TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	return c
}

// CommitError is a commit the database refused after fn succeeded: the
// caller must not report fn's result as written.
type CommitError struct{ Err error }

func (e *CommitError) Error() string { return "committing the transaction: " + e.Err.Error() }
func (e *CommitError) Unwrap() error { return e.Err }
