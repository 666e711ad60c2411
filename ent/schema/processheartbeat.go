package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ProcessHeartbeat is one process that works jobs, alive while its beat is
// fresh: the process writes beat_at every third of
// LEASEGRAPH_HEARTBEAT_LAPSE, and a running River job whose holder (the
// last of its attempted_by, River's client id, which is this row's name)
// has not beaten for the lapse is run again at once (jobs' rescuer). Not
// a client's data and not in the GraphQL schema: only jobs reads and
// writes it, as the system.
type ProcessHeartbeat struct{ ent.Schema }

// Fields of the ProcessHeartbeat.
func (ProcessHeartbeat) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(100).Unique().Immutable().
			Comment("The process's id, its River client id: what river_job.attempted_by names."),
		field.String("host").Default("").MaxRuneLen(255).Immutable().
			Comment("The host name and process id, for an operator."),
		field.Time("started_at").Default(func() time.Time { return time.Now().UTC() }).Immutable().
			Comment("When the process began to beat (UTC)."),
		field.Time("beat_at").Default(func() time.Time { return time.Now().UTC() }).
			Comment("The process's last beat (UTC)."),
	}
}

// Indexes of the ProcessHeartbeat: the rescuer and the pruning read by age.
func (ProcessHeartbeat) Indexes() []ent.Index {
	return []ent.Index{index.Fields("beat_at")}
}

// Annotations of the ProcessHeartbeat.
func (ProcessHeartbeat) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A process that works jobs, and its last heartbeat."),
		entgql.Skip(entgql.SkipAll),
	}
}
