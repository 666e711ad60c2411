// Package graph holds the GraphQL resolvers: each translates its arguments
// and calls the ent client or a service; the rules live in the services.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/graph/generated"
	"github.com/leasegraph/leasegraph/registration"
)

// Resolver is the root resolver.
type Resolver struct {
	client        *ent.Client
	registrations *registration.Service
}

// NewSchema returns the executable schema over the ent client and the
// services that need configuration.
func NewSchema(client *ent.Client, registrations *registration.Service) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{client: client, registrations: registrations}})
}
