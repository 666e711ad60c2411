package ent

// Hand-written: ent has no API for the client's dialect, which SQL written
// by hand for both databases needs (their placeholders and casts differ).

// Dialect is the name of the client's database dialect (dialect.SQLite,
// dialect.Postgres).
func (c *Client) Dialect() string { return c.driver.Dialect() }
