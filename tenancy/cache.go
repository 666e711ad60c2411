package tenancy

import (
	"context"
	"sync"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/viewer"
)

// cacheSize bounds each cache (tokens, clients' status sets): an entry is a
// few hundred bytes, and a bound keeps a flood of distinct tokens from
// growing memory.
const cacheSize = 10_000

// caches hold what every request asks the database for the same answer to:
// the token behind a bearer secret and the status sets of the viewer's
// client. Entries live CacheTTL; a revocation or a status-set change made
// through this Service drops them at once (and again when its transaction
// commits, so a read racing the write cannot keep the old row). Changes
// made elsewhere (the CLI, another instance) take effect within CacheTTL.
type caches struct {
	tokens *expirable.LRU[string, *ent.APIToken] // by token hash
	sets   *expirable.LRU[int, *ent.Company]     // by client id
	// gen counts drops. A read that missed adds what it read only if no
	// drop happened since it began: otherwise a row read just before a
	// revocation committed would be cached after the revocation's drop.
	mu  sync.Mutex
	gen uint64
}

func (c *caches) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// drop runs fn (a removal) as one more generation.
func (c *caches) drop(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	fn()
}

func (c *caches) addToken(gen uint64, hash string, t *ent.APIToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.tokens.Add(hash, t)
	}
}

func (c *caches) addSets(gen uint64, co *ent.Company) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.sets.Add(co.ID, co)
	}
}

// cache returns the caches, or nil when CacheTTL is zero.
func (s *Service) cache() *caches {
	if s.CacheTTL <= 0 {
		return nil
	}
	s.cacheOnce.Do(func() {
		s.caches = &caches{
			tokens: expirable.NewLRU[string, *ent.APIToken](cacheSize, nil, s.CacheTTL),
			sets:   expirable.NewLRU[int, *ent.Company](cacheSize, nil, s.CacheTTL),
		}
	})
	return s.caches
}

// cacheable says whether a read in ctx may use the cache: not inside a
// transaction, whose reads must see its own writes.
func cacheable(ctx context.Context) bool { return ent.TxFromContext(ctx) == nil }

// forget runs drop now and, inside a transaction, again once it commits.
func forget(ctx context.Context, drop func()) {
	drop()
	if tx := ent.TxFromContext(ctx); tx != nil {
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				err := next.Commit(ctx, tx)
				drop()
				return err
			})
		})
	}
}

// forgetToken drops a revoked token.
func (s *Service) forgetToken(ctx context.Context, hash string) {
	if c := s.cache(); c != nil {
		forget(ctx, func() { c.drop(func() { c.tokens.Remove(hash) }) })
	}
}

// forgetStatusSets drops a client's cached status sets.
func (s *Service) forgetStatusSets(ctx context.Context, clientID int) {
	if c := s.cache(); c != nil {
		forget(ctx, func() { c.drop(func() { c.sets.Remove(clientID) }) })
	}
}

// StatusSets returns the clients the viewer in ctx can see with their
// status sets (id and the three sets only): one for a client's viewer,
// every client for a platform viewer. A client viewer's answer is cached.
func (s *Service) StatusSets(ctx context.Context) ([]*ent.Company, error) {
	v := viewer.FromContext(ctx)
	c := s.cache()
	useCache := c != nil && v != nil && !v.Platform() && v.ClientID != 0 && cacheable(ctx)
	var gen uint64
	if useCache {
		if co, ok := c.sets.Get(v.ClientID); ok {
			return []*ent.Company{co}, nil
		}
		gen = c.generation()
	}
	clients, err := ent.Current(ctx, s.DB).Company.Query().
		Select(company.FieldID, company.FieldMoveInStatuses, company.FieldMoveOutStatuses, company.FieldTransferStatuses).
		All(ctx)
	if err != nil {
		return nil, err
	}
	// Privacy filters a client's viewer to its own client: one row.
	if useCache && len(clients) == 1 && clients[0].ID == v.ClientID {
		c.addSets(gen, clients[0])
	}
	return clients, nil
}

// cacheState is the part of Service the caches need; embedded so that a
// zero Service (tests, commands) works uncached.
type cacheState struct {
	cacheOnce sync.Once
	caches    *caches
}
