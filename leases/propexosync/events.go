package propexosync

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/predicate"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/leases"
)

// changes follows the leases one transaction (a page, a re-read) may
// change, as the client saw them before it, so that the transaction
// raises one event per lease that did change, its tenants included,
// however many of its rows it wrote: an incremental pass re-reads an
// overlap that mostly changes nothing, and a resident page writes a lease's
// tenants one by one. A nil *changes follows nothing (no recorder, or the
// client's first sync, which raises lease_sync.succeeded instead).
type changes struct {
	events   *events.Recorder
	clientID int
	// before holds each followed lease as it was; a lease followed but
	// absent was created by the transaction.
	before map[int]leaseState
	ids    map[int]bool
}

// leaseState is what the client sees of a lease: its record (/leases's
// shape, and whether it left as a transfer) and whether it was removed.
type leaseState struct {
	data    []byte
	removed bool
}

// changes starts following a transaction's leases, unless nothing is to
// be raised: quiet is the client's first sync.
func (r *run) changes(quiet bool) *changes {
	if r.Events == nil || quiet {
		return nil
	}
	return &changes{events: r.Events, clientID: r.clientID, before: map[int]leaseState{}, ids: map[int]bool{}}
}

// firstSync says whether st is the client's first sync, whose pass raises
// no lease events: no pass of it has ever ended.
func firstSync(st *ent.LeaseSync) bool { return st.LastSuccessAt == nil }

// watching says whether seen must be called with leases loaded with
// their tenants.
func (c *changes) watching() bool { return c != nil }

// seen records leases (loaded WithTenants(leases.TenantOrder)) as they are
// before the transaction changes them; a lease seen twice keeps its first
// state, and one the transaction created stays new.
func (c *changes) seen(ls []*ent.Lease) error {
	if c == nil {
		return nil
	}
	for _, l := range ls {
		if c.ids[l.ID] {
			continue
		}
		st, err := stateOf(l)
		if err != nil {
			return err
		}
		c.before[l.ID], c.ids[l.ID] = st, true
	}
	return nil
}

// watch records the leases of the client that match ps, before the
// transaction changes them.
func (c *changes) watch(ctx context.Context, db *ent.Client, ps ...predicate.Lease) error {
	if c == nil {
		return nil
	}
	ls, err := db.Lease.Query().Where(append(ps, lease.ClientID(c.clientID))...).WithTenants(leases.TenantOrder).All(ctx)
	if err != nil {
		return err
	}
	return c.seen(ls)
}

// created records leases the transaction created.
func (c *changes) created(ids ...int) {
	if c == nil {
		return
	}
	for _, id := range ids {
		c.ids[id] = true
	}
}

// raise records an event for each followed lease that changed, in id order:
// lease.created for a new one (or one back after its removal),
// lease.removed for one removed, lease.updated for one whose record
// differs.
func (c *changes) raise(ctx context.Context, db *ent.Client) error {
	if c == nil || len(c.ids) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(c.ids))
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		ls, err := db.Lease.Query().Where(lease.IDIn(ids[:n]...)).WithTenants(leases.TenantOrder).
			Order(ent.Asc(lease.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		ids = ids[n:]
		for _, l := range ls {
			now, err := stateOf(l)
			if err != nil {
				return err
			}
			was, existed := c.before[l.ID]
			var t events.Type
			data := now.data
			switch {
			case now.removed:
				if !existed || was.removed {
					continue
				}
				t = events.LeaseRemoved
				if data, err = withField(data, "removed_at", l.RemovedAt.UTC().Format(time.RFC3339Nano)); err != nil {
					return err
				}
			case !existed || was.removed:
				t = events.LeaseCreated
			case !bytes.Equal(was.data, now.data):
				t = events.LeaseUpdated
			default:
				continue
			}
			if _, err := c.events.Record(ctx, events.Event{Type: t, ClientID: c.clientID, ObjectType: "Lease", ObjectID: l.ID,
				Data: json.RawMessage(data)}); err != nil {
				return err
			}
		}
	}
	c.before, c.ids = map[int]leaseState{}, map[int]bool{}
	return nil
}

// chunk bounds the ids of one IN (...), well under either database's
// parameter limit.
const chunk = 500

// stateOf is l as the client sees it: the lease as /leases shows it, and
// transferred, which the graph shows and a lease transfer sets without
// another change that /leases would show.
func stateOf(l *ent.Lease) (leaseState, error) {
	b, err := json.Marshal(leases.ToRecord(l))
	if err != nil {
		return leaseState{}, err
	}
	b, err = withField(b, "transferred", l.Transferred)
	return leaseState{data: b, removed: l.RemovedAt != nil}, err
}

// withField sets one field of the JSON object b.
func withField(b []byte, name string, v any) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m[name] = vb
	return json.Marshal(m)
}
