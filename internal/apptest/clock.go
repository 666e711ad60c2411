package apptest

import (
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/middleware"
)

// FakeClock drives an app's request deadlines in place of the wall clock:
// time moves only when the test advances it. progressed is the app's hook
// for a report of progress (a streamed page, an import's batch).
type FakeClock struct {
	mu         sync.Mutex
	timers     []*fakeTimer
	progressed func()
}

type fakeTimer struct {
	c      *FakeClock
	left   time.Duration
	f      func()
	active bool
}

// WithFakeClock runs the app's request deadlines on the clock.
func WithFakeClock(c *FakeClock) Setup {
	return func(t *testing.T, s *Settings) {
		s.Options.Deadline = middleware.DeadlineHooks{
			NewTimer: func(d time.Duration, f func()) middleware.DeadlineTimer {
				c.mu.Lock()
				defer c.mu.Unlock()
				ft := &fakeTimer{c: c, left: d, f: f, active: true}
				c.timers = append(c.timers, ft)
				return ft
			},
			Progressed: func() {
				c.mu.Lock()
				hook := c.progressed
				c.mu.Unlock()
				if hook != nil {
					hook()
				}
			},
		}
	}
}

// OnProgress sets what runs after each report of progress (a streamed
// page, an import's batch).
func (c *FakeClock) OnProgress(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progressed = f
}

func (ft *fakeTimer) Reset(d time.Duration) bool {
	ft.c.mu.Lock()
	defer ft.c.mu.Unlock()
	was := ft.active
	ft.left, ft.active = d, true
	return was
}

func (ft *fakeTimer) Stop() bool {
	ft.c.mu.Lock()
	defer ft.c.mu.Unlock()
	was := ft.active
	ft.active = false
	return was
}

// Advance moves time on by d and runs the timers that came due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	var due []func()
	for _, ft := range c.timers {
		if !ft.active {
			continue
		}
		if ft.left -= d; ft.left <= 0 {
			ft.active = false
			due = append(due, ft.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}
