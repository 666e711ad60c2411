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

// Interceptors of the TenantMixin: a query that names no order of its own
// returns its rows in id order (creation order), so a plain list such as a
// lease's tenants reads the same on every database and every run; SQL
// promises no order without ORDER BY, and PostgreSQL's changes with the plan
// and with updates. Only row-returning operations get it (COUNT and
// aggregates cannot take it).
func (TenantMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			if qc := ent.QueryFromContext(ctx); qc != nil && idOrdered[qc.Op] && !gen.HasOrder(q) {
				iq, err := intercept.NewQuery(q)
				if err != nil {
					return nil, err
				}
				iq.Order(func(s *sql.Selector) { s.OrderBy(s.C("id")) })
			}
			return next.Query(ctx, q)
		})
	})}
}

// idOrdered are the operations whose rows the default order applies to.
var idOrdered = map[string]bool{
	ent.OpQueryAll: true, ent.OpQueryIDs: true, ent.OpQueryFirst: true, ent.OpQueryFirstID: true,
	ent.OpQueryOnly: true, ent.OpQueryOnlyID: true,
}
