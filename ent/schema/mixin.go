package schema

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	gen "github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/intercept"
)

// TimeMixin records when a row was created and last changed (UTC).
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(func() time.Time { return time.Now().UTC() }).Immutable().
			Comment("When the row was created (UTC).").
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").Default(func() time.Time { return time.Now().UTC() }).
			UpdateDefault(func() time.Time { return time.Now().UTC() }).
			Comment("When the row last changed (UTC).").
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// TenantMixin makes a row belong to exactly one Client and lets only that
// client's viewers (or a platform viewer) read or change it. Ref is the name
// of the edge on Client that lists these rows.
type TenantMixin struct {
	mixin.Schema
	Ref string
}

// Fields of the TenantMixin.
func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int("client_id").Immutable().
			Comment("The client that owns this row.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the TenantMixin.
func (m TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("client", Company.Type).Ref(m.Ref).Field("client_id").Unique().Required().Immutable().
			Comment("The client (property-management company) that owns this row."),
	}
}

// Interceptors of the TenantMixin: the rows of a plain list (a lease's
// tenants, a prospect's cards, an application's inbound events) come in id
// order (creation order) when the query names no order of its own, so they
// read the same on both databases and every run; SQL promises no order
// without ORDER BY, and PostgreSQL's changes with the plan and with updates.
//
// Only the types in plainLists get it. An eager-loaded child query runs
// under its parent's operation (ent sets the op only when ctx has none), so
// the op cannot tell a list's rows from a nested connection's per-parent
// count, a GROUP BY that an ORDER BY id breaks on PostgreSQL; a type that is
// also a nested connection (IntegrationJob: Prospect.integrationJobs) is
// therefore left out, and a type that becomes one must leave plainLists.
func (TenantMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			iq, err := intercept.NewQuery(q)
			if err != nil {
				return nil, err
			}
			if qc := ent.QueryFromContext(ctx); qc != nil && idOrdered[qc.Op] && plainLists[iq.Type()] && !gen.OrderedOrModified(q) {
				iq.Order(func(s *sql.Selector) { s.OrderBy(s.C("id")) })
			}
			return next.Query(ctx, q)
		})
	})}
}

// plainLists are the types that appear in the API as plain lists of their
// parent and never as a nested connection.
var plainLists = map[string]bool{"Tenant": true, "Card": true, "InboundEvent": true, "WebhookAttempt": true}

// idOrdered are the operations whose rows the default order applies to.
var idOrdered = map[string]bool{
	ent.OpQueryAll: true, ent.OpQueryIDs: true, ent.OpQueryFirst: true, ent.OpQueryFirstID: true,
	ent.OpQueryOnly: true, ent.OpQueryOnlyID: true,
}
