// Package events records what happened to a client's data, for its webhook
// endpoints: the catalogue of event types, Recorder.Record (the event, and
// a delivery to each endpoint that asks for its type, written in the
// transaction of the change that caused it, so there is no change without
// its event and no event from a rolled-back write), the payload every
// endpoint receives (Body), and the pruning of old events.
//
// A cause (the lease sync, a postback, a delivery's end, a registration)
// calls Record inside its own transaction; Record refuses to run outside
// one. The deliveries' jobs are inserted in that same transaction through
// the Enqueuer (River, in jobs/), so an event is sent once it commits and
// never before.
package events

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/webhookendpoint"
	"github.com/leasegraph/leasegraph/viewer"
)

// Enqueuer inserts the delivery jobs of new WebhookDelivery rows in the
// transaction that wrote them (jobs.Queue implements it).
type Enqueuer interface {
	EnqueueWebhookDeliveries(ctx context.Context, tx *sql.Tx, ds []*ent.WebhookDelivery) error
}

// Recorder records events. Its zero Queue records events without
// delivering them (webhooks are off: no LEASEGRAPH_WEBHOOK_KEY), which the
// graph still lists.
type Recorder struct {
	DB    *ent.Client
	Queue Enqueuer
	// Now is the clock (tests inject one); nil: time.Now.
	Now func() time.Time

	mu sync.Mutex
	// open holds the events each open transaction recorded, whose
	// deliveries are written when it commits.
	open map[*ent.Tx]*txEvents
}

// txEvents are the events one transaction recorded for every endpoint.
type txEvents struct {
	// ctx is the first Record's, for its values: the commit that writes
	// the deliveries is not cut short by a caller's deadline.
	ctx context.Context
	evs []*ent.Event
}

// Event is one thing that happened, as a cause describes it.
type Event struct {
	Type     Type
	ClientID int
	// ObjectType and ObjectID name the object (its GraphQL type and global
	// id); ObjectID 0 when the event is about none.
	ObjectType string
	ObjectID   int
	// Data is the object's fields as the graph shows them: anything that
	// marshals to a JSON object. Record sets its id and client_id.
	Data any
	// To, when set, is the one endpoint the event goes to (a test event);
	// otherwise every enabled endpoint of the client that asks for Type.
	To int
}

// ErrNoTransaction is Record called outside a transaction: the event would
// not commit with its change.
var ErrNoTransaction = errors.New("events: an event is recorded in the transaction of its change")

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// Record writes e in the transaction in ctx, and its deliveries with their
// jobs as that transaction commits (still inside it): a sync that records
// thousands of events reads the client's endpoints once and writes their
// deliveries in a few multi-row statements, not four statements an event.
// An event To one endpoint gets its delivery at once, which the caller
// reads. A nil Recorder records nothing (a service built without one, in a
// test of something else).
func (r *Recorder) Record(ctx context.Context, e Event) (*ent.Event, error) {
	if r == nil {
		return nil, nil
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return nil, ErrNoTransaction
	}
	if !Known(e.Type) {
		return nil, fmt.Errorf("events: %q is not in the catalogue", e.Type)
	}
	data, err := dataJSON(e)
	if err != nil {
		return nil, err
	}
	db := tx.Client()
	c := db.Event.Create().SetClientID(e.ClientID).SetType(string(e.Type)).
		SetObjectType(e.ObjectType).SetPayload(data).SetCreatedAt(r.now())
	if e.ObjectID != 0 {
		c.SetObjectID(e.ObjectID)
	}
	ev, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", e.Type, err)
	}
	if r.Queue == nil {
		return ev, nil
	}
	if e.To != 0 {
		if _, err := Deliver(ctx, db, r.Queue, []*ent.Event{ev}, []int{e.To}, false, r.now()); err != nil {
			return nil, err
		}
		return ev, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open == nil {
		r.open = map[*ent.Tx]*txEvents{}
	}
	pending, ok := r.open[tx]
	if !ok {
		pending = &txEvents{ctx: context.WithoutCancel(ctx)}
		r.open[tx] = pending
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(cctx context.Context, tx *ent.Tx) error {
				if err := r.deliverOnCommit(tx); err != nil {
					return err
				}
				return next.Commit(cctx, tx)
			})
		})
		tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
			return ent.RollbackFunc(func(cctx context.Context, tx *ent.Tx) error {
				r.forget(tx)
				return next.Rollback(cctx, tx)
			})
		})
	}
	pending.evs = append(pending.evs, ev)
	return ev, nil
}

func (r *Recorder) forget(tx *ent.Tx) *txEvents {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.open[tx]
	delete(r.open, tx)
	return p
}

// deliverOnCommit writes the deliveries of the events tx recorded, to each
// enabled endpoint of their client that asks for their type, event by
// event (so the first events' jobs come first whatever their endpoint).
func (r *Recorder) deliverOnCommit(tx *ent.Tx) error {
	p := r.forget(tx)
	if p == nil || len(p.evs) == 0 {
		return nil
	}
	// The endpoints are the client's admin's: read as the system, scoped
	// by the events' client, which each event's create checked against
	// the caller.
	ctx := viewer.SystemContext(p.ctx)
	db := tx.Client()
	wanted := map[int][]*ent.WebhookEndpoint{}
	var pairs []pair
	for _, ev := range p.evs {
		eps, ok := wanted[ev.ClientID]
		if !ok {
			var err error
			eps, err = db.WebhookEndpoint.Query().
				Where(webhookendpoint.ClientID(ev.ClientID), webhookendpoint.DisabledAtIsNil()).
				Select(webhookendpoint.FieldID, webhookendpoint.FieldEventTypes).All(ctx)
			if err != nil {
				return err
			}
			wanted[ev.ClientID] = eps
		}
		for _, ep := range eps {
			if Wants(ep.EventTypes, Type(ev.Type)) {
				pairs = append(pairs, pair{ev, ep.ID})
			}
		}
	}
	_, err := deliver(ctx, db, r.Queue, pairs, false, r.now())
	return err
}

// Wants says whether an endpoint asking for types takes an event of type t
// (none listed: every type).
func Wants(types []string, t Type) bool {
	return len(types) == 0 || slices.Contains(types, string(t))
}

// deliverBatch bounds one multi-row INSERT (PostgreSQL takes at most
// 65,535 parameters in a statement).
const deliverBatch = 1000

// Deliver creates a PENDING delivery of each event to each endpoint and
// queues them, in the transaction in ctx (db is its client). replay marks
// deliveries made by a replay.
func Deliver(ctx context.Context, db *ent.Client, q Enqueuer, evs []*ent.Event, endpoints []int, replay bool, now time.Time) ([]*ent.WebhookDelivery, error) {
	pairs := make([]pair, 0, len(evs)*len(endpoints))
	for _, ev := range evs {
		for _, id := range endpoints {
			pairs = append(pairs, pair{ev, id})
		}
	}
	return deliver(ctx, db, q, pairs, replay, now)
}

// pair is one event to one endpoint.
type pair struct {
	ev       *ent.Event
	endpoint int
}

func deliver(ctx context.Context, db *ent.Client, q Enqueuer, pairs []pair, replay bool, now time.Time) ([]*ent.WebhookDelivery, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	tx, err := ent.SQLTx(db)
	if err != nil {
		return nil, err
	}
	sys := viewer.SystemContext(ctx)
	all := make([]*ent.WebhookDelivery, 0, len(pairs))
	for batch := range slices.Chunk(pairs, deliverBatch) {
		creates := make([]*ent.WebhookDeliveryCreate, len(batch))
		for i, p := range batch {
			creates[i] = db.WebhookDelivery.Create().SetClientID(p.ev.ClientID).SetEventID(p.ev.ID).SetEndpointID(p.endpoint).
				SetEventType(p.ev.Type).SetNextAttemptAt(now).SetReplay(replay)
		}
		ds, err := db.WebhookDelivery.CreateBulk(creates...).Save(sys)
		if err != nil {
			return nil, fmt.Errorf("recording deliveries: %w", err)
		}
		if err := q.EnqueueWebhookDeliveries(ctx, tx, ds); err != nil {
			return nil, err
		}
		all = append(all, ds...)
	}
	return all, nil
}

// dataJSON is e.Data as a JSON object, with the object's id and client:
// a data's own id and client_id are replaced by them.
func dataJSON(e Event) ([]byte, error) {
	fields := map[string]json.RawMessage{}
	if e.Data != nil {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("events: %s data: %w", e.Type, err)
		}
		if err := json.Unmarshal(b, &fields); err != nil {
			return nil, fmt.Errorf("events: %s data is not a JSON object: %w", e.Type, err)
		}
	}
	if e.ObjectID != 0 {
		fields["id"] = quoted(e.ObjectID)
	}
	fields["client_id"] = quoted(e.ClientID)
	delete(fields, "version")
	return json.Marshal(fields)
}

func quoted(id int) json.RawMessage {
	return json.RawMessage(strconv.Quote(strconv.Itoa(id)))
}

// WebhookID is the webhook-id of every request carrying ev: the same on
// every attempt, endpoint and replay.
func WebhookID(ev *ent.Event) string { return "evt_" + strconv.Itoa(ev.ID) }

// Body is the JSON POSTed for ev, the same bytes on every attempt (so a
// signature over them is stable): {type, timestamp, data}, data with
// version first. The version is the event's id: ids only grow, and a
// change's event is written after the change itself in the change's
// transaction, so of two events about one object the later change has the
// greater version (on PostgreSQL the object's row lock orders the two
// transactions; SQLite has one writer).
func Body(ev *ent.Event) []byte {
	var b bytes.Buffer
	b.Grow(len(ev.Payload) + 96)
	b.WriteString(`{"type":`)
	t, _ := json.Marshal(ev.Type)
	b.Write(t)
	b.WriteString(`,"timestamp":"`)
	b.WriteString(ev.CreatedAt.UTC().Format(time.RFC3339Nano))
	b.WriteString(`","data":{"version":`)
	b.WriteString(strconv.Itoa(ev.ID))
	if p := ev.Payload; len(p) > 2 {
		b.WriteByte(',')
		b.Write(p[1:])
	} else {
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes()
}
