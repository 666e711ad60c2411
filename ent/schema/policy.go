package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	gen "github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/event"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/privacy"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/prospect"
	"github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/ent/webhookdelivery"
	"github.com/leasegraph/leasegraph/ent/webhookendpoint"
	"github.com/leasegraph/leasegraph/viewer"
)

// The privacy policies live together so the tenancy rules read as one.

// Policy of the TenantMixin.
func (TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{denyWithoutViewer(), allowPlatform(), filterByClient("client_id")},
		Mutation: privacy.MutationPolicy{
			denyWithoutViewer(), allowPlatform(), referencesInViewersClient(), createInViewersClient(), filterByClient("client_id"),
		},
	}
}

func denyWithoutViewer() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx) == nil {
			return privacy.Denyf("no viewer in context")
		}
		return privacy.Skip
	})
}

func allowPlatform() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx).Platform() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// filterByClient narrows queries, updates and deletes to the viewer's client.
// It is the last rule: what passes it is allowed, scoped.
func filterByClient(column string) privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v := viewer.FromContext(ctx)
		if v == nil || v.ClientID == 0 {
			return privacy.Denyf("viewer belongs to no client")
		}
		f.Where(entql.FieldEQ(column, v.ClientID))
		return privacy.Allow
	})
}

// createInViewersClient sets the owner of a new row from the viewer and
// refuses a row that names another client. Filter rules do not constrain
// creates, so without this a client could write into another's data.
func createInViewersClient() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		if !m.Op().Is(ent.OpCreate) {
			return privacy.Skip
		}
		v := viewer.FromContext(ctx)
		if v == nil || v.ClientID == 0 {
			return privacy.Denyf("viewer belongs to no client")
		}
		owned, ok := m.(interface {
			ClientID() (int, bool)
			SetClientID(int)
		})
		if !ok {
			return privacy.Denyf("%s rows have no owner", m.Type())
		}
		if id, set := owned.ClientID(); set && id != v.ClientID {
			return privacy.Denyf("client not found")
		}
		owned.SetClientID(v.ClientID)
		return privacy.Allow
	})
}

// AdminTenantMixin is TenantMixin for the rows only a client's admin may
// read or change (webhook endpoints, their deliveries and attempts: an
// endpoint's URL may carry the receiver's own credentials). Workers act as
// the system viewer, which passes.
type AdminTenantMixin struct{ TenantMixin }

// Policy of the AdminTenantMixin: the TenantMixin's, after the admin scope.
func (AdminTenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{denyWithoutViewer(), allowPlatform(), requireAdmin(), filterByClient("client_id")},
		Mutation: privacy.MutationPolicy{
			denyWithoutViewer(), allowPlatform(), requireAdmin(), referencesInViewersClient(), createInViewersClient(), filterByClient("client_id"),
		},
	}
}

func requireAdmin() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if !viewer.FromContext(ctx).Has(viewer.ScopeAdmin) {
			return privacy.Denyf("webhooks need the admin scope")
		}
		return privacy.Skip
	})
}

// Policy of the Client: a client's viewer sees and changes only itself;
// only a platform viewer creates clients.
func (Company) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{denyWithoutViewer(), allowPlatform(), filterByClient("id")},
		Mutation: privacy.MutationPolicy{
			denyWithoutViewer(), allowPlatform(),
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpCreate|ent.OpDelete|ent.OpDeleteOne),
			filterByClient("id"),
		},
	}
}

// Policy of the APIToken: a client's viewer sees its client's tokens; it
// may create tokens only for its own client and only with the admin scope.
func (APIToken) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{denyWithoutViewer(), allowPlatform(), filterByClient("client_id")},
		Mutation: privacy.MutationPolicy{
			denyWithoutViewer(), allowPlatform(),
			privacy.OnMutationOperation(privacy.ContextQueryMutationRule(func(ctx context.Context) error {
				if !viewer.FromContext(ctx).Has(viewer.ScopeAdmin) {
					return privacy.Denyf("creating tokens needs the admin scope")
				}
				return privacy.Skip
			}), ent.OpCreate),
			createInViewersClient(), filterByClient("client_id"),
		},
	}
}

// referencesInViewersClient refuses a write whose foreign keys point at rows
// the viewer cannot see. Privacy filters the row written, not the rows it
// references: without this, a client could hang its lease on another
// client's property. The lookups run as the viewer, so "another client's"
// and "does not exist" are the same answer.
func referencesInViewersClient() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		if !m.Op().Is(ent.OpCreate | ent.OpUpdate | ent.OpUpdateOne) {
			return privacy.Skip
		}
		var checks []func(*gen.Client) (bool, error)
		ref := func(id int, set bool, exists func(*gen.Client, int) (bool, error)) {
			if set {
				checks = append(checks, func(c *gen.Client) (bool, error) { return exists(c, id) })
			}
		}
		propertyExists := func(c *gen.Client, id int) (bool, error) { return c.Property.Query().Where(property.ID(id)).Exist(ctx) }
		prospectExists := func(c *gen.Client, id int) (bool, error) { return c.Prospect.Query().Where(prospect.ID(id)).Exist(ctx) }
		screeningExists := func(c *gen.Client, id int) (bool, error) {
			return c.ScreeningApplication.Query().Where(screeningapplication.ID(id)).Exist(ctx)
		}
		var client *gen.Client
		switch m := m.(type) {
		case *gen.LeaseMutation:
			client = m.Client()
			id, ok := m.PropertyID()
			ref(id, ok, propertyExists)
		case *gen.TenantMutation:
			client = m.Client()
			id, ok := m.LeaseID()
			ref(id, ok, func(c *gen.Client, id int) (bool, error) { return c.Lease.Query().Where(lease.ID(id)).Exist(ctx) })
		case *gen.ProspectMutation:
			client = m.Client()
			id, ok := m.PropertyID()
			ref(id, ok, propertyExists)
		case *gen.CardMutation:
			client = m.Client()
			id, ok := m.ProspectID()
			ref(id, ok, prospectExists)
		case *gen.RegistrationMutation:
			client = m.Client()
			id, ok := m.ProspectID()
			ref(id, ok, prospectExists)
			id, ok = m.PropertyID()
			ref(id, ok, propertyExists)
		case *gen.IntegrationJobMutation:
			client = m.Client()
			id, ok := m.ProspectID()
			ref(id, ok, prospectExists)
			id, ok = m.RegistrationID()
			ref(id, ok, func(c *gen.Client, id int) (bool, error) {
				return c.Registration.Query().Where(registration.ID(id)).Exist(ctx)
			})
		case *gen.ApplicantMutation:
			client = m.Client()
			id, ok := m.ApplicationID()
			ref(id, ok, screeningExists)
		case *gen.InboundEventMutation:
			client = m.Client()
			id, ok := m.ScreeningApplicationID()
			ref(id, ok, screeningExists)
		case *gen.WebhookDeliveryMutation:
			client = m.Client()
			id, ok := m.EventID()
			ref(id, ok, func(c *gen.Client, id int) (bool, error) { return c.Event.Query().Where(event.ID(id)).Exist(ctx) })
			id, ok = m.EndpointID()
			ref(id, ok, func(c *gen.Client, id int) (bool, error) {
				return c.WebhookEndpoint.Query().Where(webhookendpoint.ID(id)).Exist(ctx)
			})
		case *gen.WebhookAttemptMutation:
			client = m.Client()
			id, ok := m.DeliveryID()
			ref(id, ok, func(c *gen.Client, id int) (bool, error) {
				return c.WebhookDelivery.Query().Where(webhookdelivery.ID(id)).Exist(ctx)
			})
		case *gen.ScreeningRequestMutation:
			client = m.Client()
			id, ok := m.ScreeningApplicationID()
			ref(id, ok, screeningExists)
		}
		for _, exists := range checks {
			if ok, err := exists(client); err != nil || !ok {
				return privacy.Denyf("a referenced row was not found")
			}
		}
		return privacy.Skip
	})
}
