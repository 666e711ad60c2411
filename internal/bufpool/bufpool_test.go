package bufpool_test

import (
	"testing"

	"github.com/leasegraph/leasegraph/internal/bufpool"
)

// maxPooled mirrors the package's bound (256 KiB): the largest buffer kept.
const maxPooled = 256 << 10

// tries bounds the loops below: sync.Pool may drop any Put (it does so at
// random under -race), so reuse is asserted as "seen at least once" and
// non-reuse as "never seen".
const tries = 100

// Get must always give room for size bytes and an empty buffer, whether it
// comes from the pool (a smaller or a dirty one was put back) or is new.
func TestGet(t *testing.T) {
	bufpool.Put(append(make([]byte, 0, 16), "leftover"...))
	for _, size := range []int{0, 1, 16, 1000, 64 << 10, maxPooled + 1} {
		b := bufpool.Get(size)
		if len(b) != 0 || cap(b) < size {
			t.Errorf("Get(%d): len %d cap %d", size, len(b), cap(b))
		}
		bufpool.Put(append(b, "dirty"...))
	}
}

// A buffer put back is handed out again (the point of the package), up to
// and including maxPooled bytes of capacity.
func TestPutReuses(t *testing.T) {
	for _, size := range []int{1024, maxPooled} {
		reused := false
		for range tries {
			b := append(make([]byte, 0, size), 'x')
			bufpool.Put(b)
			got := bufpool.Get(1)
			if cap(got) == size && &got[:1][0] == &b[0] {
				reused = true
				break
			}
		}
		if !reused {
			t.Errorf("a %d-byte buffer was never handed out again", size)
		}
	}
}

// A buffer past maxPooled (an export's) is left to the collector: Get must
// never hand it out again, even for a small size.
func TestPutDropsOversized(t *testing.T) {
	for range tries {
		b := make([]byte, 0, maxPooled+1)
		bufpool.Put(b)
		if got := bufpool.Get(1); cap(got) > maxPooled {
			t.Fatalf("Get(1) handed out a pooled buffer of cap %d", cap(got))
		}
	}
}
