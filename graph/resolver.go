// Package graph holds the GraphQL resolvers: each translates its arguments
// and calls the ent client or a service; the rules live in the services.
package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/graph/generated"
	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/leases/importer"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/properties"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/registration"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/webhooks"
)

// Resolver is the root resolver. Reads use client; writes go through the
// services, which join the mutation's transaction from ctx (ent.WithTx).
type Resolver struct {
	client *ent.Client
	svc    Services
}

// Services are the services the resolvers call, built once in wiring.
type Services struct {
	Registrations *registration.Service
	Prospects     *prospects.Service
	Screening     *screening.Service
	Tenancy       *tenancy.Service
	Importer      *importer.Service
	Leases        *leases.Service
	Properties    *properties.Service
	LeaseSync     *propexosync.Service
	Webhooks      *webhooks.Service
}

// NewSchema returns the executable schema over the ent client and the
// services that need configuration.
func NewSchema(client *ent.Client, s Services) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{client: client, svc: s}})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
