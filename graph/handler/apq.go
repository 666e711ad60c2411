package handler

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/apperr"
)

// Automatic persisted queries (Apollo's protocol, gqlgen's
// extension.AutomaticPersistedQuery): a client sends
// extensions.persistedQuery {version: 1, sha256Hash} with the query once,
// then the hash alone, over POST or GET (a GET URL short enough for a CDN
// or a browser to cache). An unknown hash answers PERSISTED_QUERY_NOT_FOUND
// and the client sends the query again with it; a query whose SHA-256 is
// not its hash is refused, so no one can store a document under another's
// hash.
//
// The cache is one per process and shared by every client, as Apollo's is:
// it holds query documents, never variables or answers, and the documents
// are the schema's public operations. It is bounded in bytes, since each
// document may be as long as the token limit allows.

// Bounds of the persisted-query cache.
const (
	// apqCacheBytes is the most the documents it keeps may weigh together.
	apqCacheBytes = 4 << 20
	// apqMaxQuery is the longest document it keeps: a longer one is
	// answered but not kept, so its hash alone is never found.
	apqMaxQuery = 64 << 10
)

// codePersistedQueryNotFound is gqlgen's code (Apollo's) for a hash the
// cache does not hold.
const codePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"

// persistedQueries is gqlgen's extension with codes on its errors: they
// carry none, and every error here says extensions.code.
type persistedQueries struct {
	apq extension.AutomaticPersistedQuery
}

var _ interface {
	graphql.OperationParameterMutator
	graphql.HandlerExtension
} = persistedQueries{}

func newPersistedQueries() persistedQueries {
	return persistedQueries{apq: extension.AutomaticPersistedQuery{Cache: newQueryStore(apqCacheBytes, apqMaxQuery)}}
}

// ExtensionName implements graphql.HandlerExtension.
func (persistedQueries) ExtensionName() string { return "AutomaticPersistedQuery" }

// Validate implements graphql.HandlerExtension.
func (p persistedQueries) Validate(s graphql.ExecutableSchema) error { return p.apq.Validate(s) }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (p persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	err := p.apq.MutateOperationParameters(ctx, raw)
	if err == nil {
		return nil
	}
	if err.Extensions == nil || err.Extensions["code"] == nil {
		// A malformed extension, a version other than 1, a hash that is
		// not the query's.
		err.Message = "extensions.persistedQuery: " + err.Message + " (Apollo's protocol: version 1 and the query's sha256Hash in hex)"
		err.Extensions = map[string]any{"code": apperr.CodeBadInput}
	}
	return err
}

// queryStore is an LRU of documents by hash, bounded in bytes.
type queryStore struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, string]
	bytes    int
	maxBytes int
	maxQuery int
}

var _ graphql.Cache[string] = (*queryStore)(nil)

func newQueryStore(maxBytes, maxQuery int) *queryStore {
	s := &queryStore{maxBytes: maxBytes, maxQuery: maxQuery}
	// The count is bounded by the bytes; this only has to exceed it.
	l, err := simplelru.NewLRU[string, string](maxBytes/64+1, func(hash, query string) { s.bytes -= len(hash) + len(query) })
	if err != nil {
		panic(err) // a size <= 0, a programming error
	}
	s.lru = l
	return s
}

// Get implements graphql.Cache.
func (s *queryStore) Get(_ context.Context, hash string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Get(hash)
}

// Add implements graphql.Cache: the oldest documents go until the new one
// fits.
func (s *queryStore) Add(_ context.Context, hash, query string) {
	if len(query) > s.maxQuery {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lru.Contains(hash) {
		return
	}
	s.lru.Add(hash, query)
	s.bytes += len(hash) + len(query)
	for s.bytes > s.maxBytes && s.lru.Len() > 0 {
		s.lru.RemoveOldest()
	}
}
