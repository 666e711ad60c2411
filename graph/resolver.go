// Package graph holds the GraphQL resolvers: each translates its arguments
// and calls the ent client or a service; the rules live in the services.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/graph/generated"
)

// Resolver is the root resolver.
type Resolver struct {
	client *ent.Client
}

// NewSchema returns the executable schema over the ent client.
func NewSchema(client *ent.Client) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{client: client}})
}
