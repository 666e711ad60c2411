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
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/webhookendpoint"
	"github.com/leasegraph/leasegraph/viewer"
)

// Enqueuer inserts the delivery jobs of new WebhookDelivery rows in the
// transaction that wrote them (jobs.Queue implements it).
type Enqueuer interface {
	EnqueueWebhookDeliveries(ctx context.Context, tx *sql.Tx, deliveryIDs []int) error
}

// Recorder records events. Its zero Queue records events without
// delivering them (webhooks are off: no LEASEGRAPH_WEBHOOK_KEY), which the
// graph still lists.
type Recorder struct {
	DB    *ent.Client
	Queue Enqueuer
	// Now is the clock (tests inject one); nil: time.Now.
	Now func() time.Time
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

// Record writes e and its deliveries in the transaction in ctx, and queues
// the deliveries in it. A nil Recorder records nothing (a service built
// without one, in a test of something else).
func (r *Recorder) Record(ctx context.Context, e Event) (*ent.Event, error) {
	if r == nil {
		return nil, nil
	}
	if ent.TxFromContext(ctx) == nil {
		return nil, ErrNoTransaction
	}
	if !Known(e.Type) {
		return nil, fmt.Errorf("events: %q is not in the catalogue", e.Type)
	}
	data, err := dataJSON(e)
	if err != nil {
		return nil, err
	}
	db := ent.Current(ctx, r.DB)
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
	// The endpoints are the client's admin's: read and written as the
	// system, scoped by the event's client, which the create above checked
	// against the caller.
	sys := viewer.SystemContext(ctx)
	q := db.WebhookEndpoint.Query().Where(webhookendpoint.ClientID(e.ClientID))
	if e.To != 0 {
		q.Where(webhookendpoint.ID(e.To))
	} else {
		q.Where(webhookendpoint.DisabledAtIsNil())
	}
	eps, err := q.Select(webhookendpoint.FieldID, webhookendpoint.FieldEventTypes).All(sys)
	if err != nil {
		return nil, err
	}
	var to []int
	for _, ep := range eps {
		if e.To != 0 || Wants(ep.EventTypes, e.Type) {
			to = append(to, ep.ID)
		}
	}
	if _, err := Deliver(ctx, db, r.Queue, []*ent.Event{ev}, to, false, r.now()); err != nil {
		return nil, err
	}
	return ev, nil
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
	if len(endpoints) == 0 || len(evs) == 0 {
		return nil, nil
	}
	tx, err := ent.SQLTx(db)
	if err != nil {
		return nil, err
	}
	sys := viewer.SystemContext(ctx)
	var all []*ent.WebhookDelivery
	creates := make([]*ent.WebhookDeliveryCreate, 0, min(len(evs)*len(endpoints), deliverBatch))
	flush := func() error {
		if len(creates) == 0 {
			return nil
		}
		ds, err := db.WebhookDelivery.CreateBulk(creates...).Save(sys)
		if err != nil {
			return fmt.Errorf("recording deliveries: %w", err)
		}
		ids := make([]int, len(ds))
		for i, d := range ds {
			ids[i] = d.ID
		}
		if err := q.EnqueueWebhookDeliveries(ctx, tx, ids); err != nil {
			return err
		}
		all = append(all, ds...)
		creates = creates[:0]
		return nil
	}
	for _, ev := range evs {
		for _, id := range endpoints {
			creates = append(creates, db.WebhookDelivery.Create().SetClientID(ev.ClientID).SetEventID(ev.ID).SetEndpointID(id).
				SetEventType(ev.Type).SetNextAttemptAt(now).SetReplay(replay))
			if len(creates) == deliverBatch {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
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
