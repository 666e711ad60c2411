package tenancy

import (
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
)

// A read that began before a drop (a revocation committing) must not put
// what it read back into the cache after the drop.
func TestCacheReadBeforeDropIsNotAdded(t *testing.T) {
	s := &Service{CacheTTL: time.Hour}
	c := s.cache()
	gen := c.generation() // the read misses and starts its query
	c.drop(func() { c.tokens.Remove("h") })
	c.addToken(gen, "h", &ent.APIToken{ID: 1})
	if _, ok := c.tokens.Get("h"); ok {
		t.Fatal("a token read before its revocation was cached after it")
	}
	c.addToken(c.generation(), "h", &ent.APIToken{ID: 1})
	if _, ok := c.tokens.Get("h"); !ok {
		t.Fatal("a read with no drop since it began was not cached")
	}
}
