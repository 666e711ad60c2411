package handler

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestQueryStoreIsBoundedInBytes: the persisted-query cache keeps at most
// its bytes, dropping the least recently used documents first, and never
// keeps a document over its per-query bound, however many are sent.
func TestQueryStoreIsBoundedInBytes(t *testing.T) {
	ctx := context.Background()
	const maxBytes, maxQuery = 10 << 10, 2 << 10
	s := newQueryStore(maxBytes, maxQuery)
	doc := func(i int) string { return fmt.Sprintf("{ q%d %s }", i, strings.Repeat("x", 1000)) }
	hash := func(i int) string { return fmt.Sprintf("%064d", i) }
	for i := range 1000 {
		s.Add(ctx, hash(i), doc(i))
		if i == 5 {
			if _, ok := s.Get(ctx, hash(0)); !ok { // used: kept over the others
				t.Fatal("the first document is gone while there was room")
			}
		}
		if s.bytes > maxBytes {
			t.Fatalf("after %d documents the store holds %d bytes, over %d", i+1, s.bytes, maxBytes)
		}
	}
	if _, ok := s.Get(ctx, hash(999)); !ok {
		t.Fatal("the newest document was not kept")
	}
	if _, ok := s.Get(ctx, hash(1)); ok {
		t.Fatal("an old document was kept past the bound")
	}
	before := s.bytes
	s.Add(ctx, hash(5000), strings.Repeat("y", maxQuery+1))
	if _, ok := s.Get(ctx, hash(5000)); ok || s.bytes != before {
		t.Fatal("a document over the per-query bound was kept")
	}
}
