package prospects

import (
	"context"
	"database/sql"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/idempotency"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
)

// Enqueuer puts a delivery job for an IntegrationJob into the queue, inside
// the given transaction. The job carries the IntegrationJob's id only: no
// personal data ever sits in a job's arguments.
type Enqueuer interface {
	EnqueueDelivery(ctx context.Context, tx *sql.Tx, integrationJobID int) error
}

// Service creates and updates prospects. Its methods join the transaction
// in ctx or open their own (ent.WithTx).
type Service struct {
	DB *ent.Client
	// Queue delivers to Propexo; nil when no Propexo token is configured,
	// and then deliveries are recorded as NOT_SENT with the reason.
	Queue Enqueuer
	// Events records the end of a delivery a person resolves
	// (ResolveHeld); nil records none.
	Events *events.Recorder
}

// Create stores a prospect and queues its delivery in one transaction. The
// same idempotency key returns the first prospect.
func (s *Service) Create(ctx context.Context, in Input, key string) (*ent.Prospect, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Prospect, error) {
		return s.create(ctx, db, in, key)
	})
}

func (s *Service) create(ctx context.Context, db *ent.Client, in Input, key string) (*ent.Prospect, error) {
	id, _, err := s.idempotency().Do(ctx, "createProspect", key, func(ctx context.Context, db *ent.Client) (int, error) {
		if err := in.validate(true); err != nil {
			return 0, err
		}
		c := db.Prospect.Create()
		apply(c.Mutation(), &in)
		p, err := c.Save(ctx)
		if err != nil {
			return 0, err
		}
		return p.ID, s.queue(ctx, db, p, integrationjob.KindPROPEXO_CREATE_PROSPECT, "")
	})
	if err != nil {
		return nil, err
	}
	return db.Prospect.Get(ctx, id)
}

// Update changes the given fields; notes are appended to the existing ones,
// as Propexo does, and only the appended part is delivered.
func (s *Service) Update(ctx context.Context, prospectID int, in Input, key string) (*ent.Prospect, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Prospect, error) {
		return s.update(ctx, db, prospectID, in, key)
	})
}

func (s *Service) update(ctx context.Context, db *ent.Client, prospectID int, in Input, key string) (*ent.Prospect, error) {
	_, _, err := s.idempotency().Do(ctx, "updateProspect", key, func(ctx context.Context, db *ent.Client) (int, error) {
		if err := in.validate(false); err != nil {
			return 0, err
		}
		p, err := db.Prospect.Get(ctx, prospectID)
		if ent.IsNotFound(err) {
			return 0, apperr.NotFound("prospect")
		}
		if err != nil {
			return 0, err
		}
		added := str(in.Notes)
		if added != "" && p.Notes != "" {
			joined := p.Notes + "\n" + added
			in.Notes = &joined
		} else if added == "" {
			in.Notes = nil
		}
		u := db.Prospect.UpdateOne(p)
		apply(u.Mutation(), &in)
		if p, err = u.Save(ctx); err != nil {
			return 0, err
		}
		return p.ID, s.queue(ctx, db, p, integrationjob.KindPROPEXO_UPDATE_PROSPECT, added)
	})
	if err != nil {
		return nil, err
	}
	return db.Prospect.Get(ctx, prospectID)
}

// Retry queues a failed or partial delivery again. A FAILED write Propexo
// ran is re-run there (retry-write); a PARTIAL one cannot be (Propexo retries
// only failed writes, docs/partners/propexo.md#retry-write), so it is completed instead: the
// fields that failed are sent again as an update.
func (s *Service) Retry(ctx context.Context, integrationJobID int) (*ent.IntegrationJob, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.IntegrationJob, error) {
		return s.retry(ctx, db, integrationJobID)
	})
}

func (s *Service) retry(ctx context.Context, db *ent.Client, integrationJobID int) (*ent.IntegrationJob, error) {
	j, err := db.IntegrationJob.Get(ctx, integrationJobID)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("integration job")
	}
	if err != nil {
		return nil, err
	}
	switch j.Kind {
	case integrationjob.KindPROPEXO_CREATE_PROSPECT, integrationjob.KindPROPEXO_UPDATE_PROSPECT:
	case integrationjob.KindSMS:
		return nil, apperr.BadInput("id", "SMS deliveries are not retried")
	default:
		// A lease sync run is retried by syncLeasesNow: sending it to the
		// prospect queue would fail it as "no prospect" and lose its error.
		return nil, apperr.BadInput("id", "only Propexo prospect deliveries are retried here; a %s run is started again with syncLeasesNow", j.Kind)
	}
	// A QUEUED delivery is on its way already; the others that may go back
	// to QUEUED are the failed, partial and unsent ones.
	if j.Status == integrationjob.StatusQUEUED || !integrationstatus.Allowed(j.Kind, j.Status, integrationjob.StatusQUEUED) {
		return nil, apperr.BadInput("id", "only a FAILED, PARTIAL or NOT_SENT delivery can be retried; this one is %s", j.Status)
	}
	if s.Queue == nil {
		return nil, &apperr.Error{Code: apperr.CodeConflict, Message: "no Propexo token is configured: nothing can be delivered"}
	}
	u := db.IntegrationJob.UpdateOne(j).SetLastError("")
	if j.Status == integrationjob.StatusPARTIAL {
		u.SetCompletePartial(true).SetPartnerJobID("")
	}
	if err := integrationstatus.Set(u, j, integrationjob.StatusQUEUED); err != nil {
		return nil, err
	}
	j, err = u.Save(ctx)
	if err != nil {
		return nil, err
	}
	return j, s.enqueue(ctx, db, j.ID)
}

// QueueCreate queues the delivery of a prospect written directly (demo
// seeding), as Create does.
func (s *Service) QueueCreate(ctx context.Context, p *ent.Prospect) error {
	return ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		return s.queue(ctx, db, p, integrationjob.KindPROPEXO_CREATE_PROSPECT, "")
	})
}

func (s *Service) idempotency() *idempotency.Service { return &idempotency.Service{DB: s.DB} }

// queue records the delivery of p when its client delivers to Propexo.
func (s *Service) queue(ctx context.Context, db *ent.Client, p *ent.Prospect, kind integrationjob.Kind, notes string) error {
	client, err := db.Company.Get(ctx, p.ClientID)
	if err != nil {
		return err
	}
	if client.PropexoIntegrationID == "" {
		return nil
	}
	c := db.IntegrationJob.Create().SetClientID(p.ClientID).SetKind(kind).SetProspectID(p.ID).SetNotesToAppend(notes)
	if s.Queue == nil {
		if err := integrationstatus.Initial(c, integrationjob.StatusNOT_SENT); err != nil {
			return err
		}
		return c.SetLastError("no Propexo token is configured").Exec(ctx)
	}
	if err := integrationstatus.Initial(c, integrationjob.StatusQUEUED); err != nil {
		return err
	}
	j, err := c.Save(ctx)
	if err != nil {
		return err
	}
	return s.enqueue(ctx, db, j.ID)
}

func (s *Service) enqueue(ctx context.Context, db *ent.Client, id int) error {
	tx, err := ent.SQLTx(db)
	if err != nil {
		return err
	}
	return s.Queue.EnqueueDelivery(ctx, tx, id)
}

// apply copies the given fields onto a create or update mutation.
func apply(m *ent.ProspectMutation, in *Input) {
	set := func(v *string, f func(string)) {
		if v != nil {
			f(strings.TrimSpace(*v))
		}
	}
	if in.PropertyID != nil {
		m.SetPropertyID(*in.PropertyID)
	}
	set(in.FirstName, m.SetFirstName)
	set(in.MiddleName, m.SetMiddleName)
	set(in.LastName, m.SetLastName)
	set(in.Email1, m.SetEmail1)
	set(in.Phone1, m.SetPhone1)
	set(in.Phone2, m.SetPhone2)
	set(in.Notes, m.SetNotes)
	set(in.Address1, m.SetAddress1)
	set(in.Address2, m.SetAddress2)
	set(in.City, m.SetCity)
	set(in.State, m.SetState)
	set(in.Zip, m.SetZip)
	set(in.Country, m.SetCountry)
	set(in.FirstContactType, m.SetFirstContactType)
	set(in.PreferredContactMethod, m.SetPreferredContactMethod)
	set(in.ProspectSource, m.SetProspectSource)
	set(in.CommunityID, m.SetCommunityID)
	set(in.AttributionID, m.SetAttributionID)
	set(in.AgentID, m.SetAgentID)
	set(in.PropexoLeaseID, m.SetPropexoLeaseID)
	if in.MoveInDate != nil {
		m.SetMoveInDate(*in.MoveInDate)
	}
	for _, f := range []struct {
		v   *int
		set func(int)
	}{
		{in.RentMinimumInCents, m.SetRentMinimumInCents}, {in.RentMaximumInCents, m.SetRentMaximumInCents},
		{in.NumberOfOccupants, m.SetNumberOfOccupants}, {in.LeaseTermInMonths, m.SetLeaseTermInMonths},
	} {
		if f.v != nil {
			f.set(*f.v)
		}
	}
	if in.Pets != nil {
		m.SetPets(in.Pets)
	}
	if in.DesiredNumBedrooms != nil {
		m.SetDesiredNumBedrooms(in.DesiredNumBedrooms)
	}
	if in.Subscribe != nil {
		m.SetSubscribe(*in.Subscribe)
	}
}
