package ent

// Hand-written: ent has no API for the database/sql transaction under a
// transactional client, and River must enqueue a job in that very
// transaction (a write and its delivery job commit together or not at all).

import (
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// SQLTx returns the *sql.Tx a transactional client (from Client.Tx, or
// FromContext inside a GraphQL mutation) runs in.
func SQLTx(c *Client) (*sql.Tx, error) {
	td, ok := c.driver.(*txDriver)
	if !ok {
		return nil, errors.New("ent: the client is not transactional")
	}
	tx := td.tx
	for {
		switch t := tx.(type) {
		case *entsql.Tx:
			if stx, ok := t.Tx.(*sql.Tx); ok {
				return stx, nil
			}
			return nil, errors.New("ent: the transaction is not a database/sql transaction")
		case interface{ Unwrap() dialect.Tx }:
			// A wrapping driver (e.g. one that counts statements in tests).
			tx = t.Unwrap()
		default:
			return nil, errors.New("ent: unknown transaction type")
		}
	}
}
