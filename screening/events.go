package screening

import (
	"context"
	"errors"
	"sync"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
)

// Broker tells the subscribers of an application that it changed. A
// notice carries only the application's id: each subscriber reloads the
// application as its own viewer, so privacy decides what it sees.
//
// In one process it delivers directly. With Send set (PostgreSQL: NOTIFY),
// a publication goes to every server instance, whose listener calls
// Deliver; if Send fails, the local subscribers are still told.
type Broker struct {
	// Send carries a publication to every instance (this one included).
	Send func(ctx context.Context, id int) error

	mu   sync.Mutex
	subs map[int]map[chan struct{}]struct{}
}

// Publish announces that the application changed.
func (b *Broker) Publish(ctx context.Context, id int) {
	if b.Send != nil {
		if err := b.Send(ctx, id); err == nil {
			return
		}
	}
	b.Deliver(id)
}

// Deliver wakes the local subscribers of the application. Notices
// coalesce: a subscriber that is behind gets one wake-up and reloads the
// latest state.
func (b *Broker) Deliver(id int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// DeliverAll wakes every local subscriber (after a listener reconnects and
// may have missed notices).
func (b *Broker) DeliverAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, set := range b.subs {
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// Subscribe returns a channel that receives a wake-up whenever the
// application changes, and the function that ends the subscription.
func (b *Broker) Subscribe(id int) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[int]map[chan struct{}]struct{}{}
	}
	if b.subs[id] == nil {
		b.subs[id] = map[chan struct{}]struct{}{}
	}
	b.subs[id][ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[id], ch)
			if len(b.subs[id]) == 0 {
				delete(b.subs, id)
			}
			b.mu.Unlock()
		})
	}
}

// Subscribers counts the local subscriptions (for tests and metrics).
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, set := range b.subs {
		n += len(set)
	}
	return n
}

// Watch streams the viewer's application: first as it is now, then each
// time it changes, until ctx ends. Another client's application is not
// found.
func (s *Service) Watch(ctx context.Context, id int) (<-chan *ent.ScreeningApplication, error) {
	if s.Broker == nil {
		return nil, errors.New("screening: no broker configured")
	}
	wake, stop := s.Broker.Subscribe(id)
	app, err := s.load(ctx, id)
	if err != nil {
		stop()
		return nil, err
	}
	out := make(chan *ent.ScreeningApplication, 1)
	go func() {
		defer close(out)
		defer stop()
		send := func(a *ent.ScreeningApplication) bool {
			select {
			case out <- a:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(app) {
			return
		}
		last := app
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			cur, err := s.load(ctx, id)
			if err != nil {
				if ae, ok := apperr.As(err); (ok && ae.Code == apperr.CodeNotFound) || ctx.Err() != nil {
					return
				}
				s.log().WarnContext(ctx, "reloading a watched screening application", "application", id, "error", err.Error())
				continue
			}
			if cur.UpdatedAt.Equal(last.UpdatedAt) && cur.Status == last.Status && cur.OrderStatus == last.OrderStatus {
				continue
			}
			last = cur
			if !send(cur) {
				return
			}
		}
	}()
	return out, nil
}
