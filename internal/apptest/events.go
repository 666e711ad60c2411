package apptest

import (
	"encoding/json"
	"time"
)

// Events as a client reads them in the graph (events): what each cause's
// suite asserts it raised, and did not.

// GQLEvent is one event as the graph lists it.
type GQLEvent struct {
	ID, Type, ObjectType, ObjectID, WebhookID string
	CreatedAt                                 time.Time
	// Payload is what endpoints receive: {type, timestamp, data}.
	Payload struct {
		Type      string
		Timestamp time.Time
		Data      map[string]any
	}
}

// Version is the event's data.version (the event's id), which only grows
// for one object.
func (ev GQLEvent) Version() int {
	v, _ := ev.Payload.Data["version"].(float64)
	return int(v)
}

// Str is a data field that is a string ("" when absent or not a string).
func (ev GQLEvent) Str(field string) string {
	s, _ := ev.Payload.Data[field].(string)
	return s
}

// Events lists the client's events of type typ ("" for every type), newest
// first, as the token reads them (the first 500).
func (e *Env) Events(token, typ string) []GQLEvent {
	e.T.Helper()
	vars := map[string]any{}
	if typ != "" {
		vars["w"] = map[string]any{"type": typ}
	}
	var out struct {
		Events struct {
			Edges []struct{ Node GQLEvent }
		}
	}
	e.MustGQL(token, `query($w: EventWhereInput) { events(where: $w, first: 500) {
		edges { node { id type objectType objectID createdAt payload webhookId } } } }`, vars, &out)
	evs := make([]GQLEvent, len(out.Events.Edges))
	for i, ed := range out.Events.Edges {
		evs[i] = ed.Node
		if evs[i].Type != evs[i].Payload.Type {
			e.T.Fatalf("event %s: type %s, payload's %s", evs[i].ID, evs[i].Type, evs[i].Payload.Type)
		}
	}
	return evs
}

// EventTypes is the types of the client's events, oldest first: what a
// suite compares with the causes it made.
func (e *Env) EventTypes(token string) []string {
	e.T.Helper()
	evs := e.Events(token, "")
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[len(evs)-1-i] = ev.Type
	}
	return out
}

// JSON is v as indented JSON, for a failure message.
func JSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
