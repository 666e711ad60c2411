package cost

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
)

// MaxCachedQuery is the longest query text a document cache keeps. The
// token limit bounds a document's tokens, not its bytes (comments and
// string literals are free), so without it each of a hundred entries
// could hold a body's 32 MiB, and its parsed form up to 15,000 tokens'
// worth of AST. 4 KiB keeps the hot reads (the leases page is ~600 bytes,
// GraphiQL's introspection query ~2.5 KB) and bounds an entry's parsed
// form to ~2,000 tokens.
const MaxCachedQuery = 4 << 10

// DocumentCache is a small LRU keyed by query text that keeps only queries
// of at most MaxCachedQuery bytes: gqlgen's parsed-document cache and this
// package's record of passed checks both use it.
type DocumentCache[T any] struct{ lru *lru.Cache[string, T] }

var _ graphql.Cache[any] = (*DocumentCache[any])(nil)

// NewDocumentCache keeps at most size documents (size > 0).
func NewDocumentCache[T any](size int) *DocumentCache[T] {
	c, err := lru.New[string, T](size)
	if err != nil {
		panic(err) // only for size <= 0, a programming error
	}
	return &DocumentCache[T]{lru: c}
}

// Get implements graphql.Cache.
func (c *DocumentCache[T]) Get(_ context.Context, query string) (T, bool) {
	return c.lru.Get(query)
}

// Add implements graphql.Cache; a query over MaxCachedQuery is not kept.
func (c *DocumentCache[T]) Add(_ context.Context, query string, value T) {
	if len(query) <= MaxCachedQuery {
		c.lru.Add(query, value)
	}
}

// Len is how many documents are kept.
func (c *DocumentCache[T]) Len() int { return c.lru.Len() }
