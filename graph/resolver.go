// Package graph holds the GraphQL resolvers: each translates its arguments
// and calls the ent client or a service; the rules live in the services.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/graph/generated"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/registration"
	"github.com/leasegraph/leasegraph/screening"
)

// Resolver is the root resolver.
type Resolver struct {
	client        *ent.Client
	registrations *registration.Service
	prospects     *prospects.Service
	screening     *screening.Service
}

// Services are the configured services the resolvers call.
type Services struct {
	Registrations *registration.Service
	Prospects     *prospects.Service
	Screening     *screening.Service
}

// NewSchema returns the executable schema over the ent client and the
// services that need configuration.
func NewSchema(client *ent.Client, s Services) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{
		client: client, registrations: s.Registrations, prospects: s.Prospects,
		screening: s.Screening,
	}})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
