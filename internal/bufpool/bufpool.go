// Package bufpool keeps answer buffers between requests. A page of leases
// is about 47 KB: each request would otherwise allocate, zero and (written
// piece by piece) regrow one for the fast path's JSON and one for the
// route's buffered answer.
package bufpool

import "sync"

// maxPooled bounds what is kept: a larger answer's buffer (an export, a
// big page) is left to the collector rather than pinned.
const maxPooled = 256 << 10

var pool = sync.Pool{New: func() any { return new([]byte) }}

// Get returns an empty buffer with room for at least size bytes.
func Get(size int) []byte {
	b := (*pool.Get().(*[]byte))[:0]
	if cap(b) < size {
		return make([]byte, 0, size)
	}
	return b
}

// Put gives b back. Only once nothing reads or writes it any more: the
// next Get, in any request, may hand it out.
func Put(b []byte) {
	if cap(b) > 0 && cap(b) <= maxPooled {
		b = b[:0]
		pool.Put(&b)
	}
}
