package screening

import (
	"context"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/applicant"
	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/ent/screeningrequest"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/viewer"
)

func nowUTC() time.Time { return time.Now().UTC() }

// pulled is what SmartMove says of an application now.
type pulled struct {
	details *smartmove.ApplicationDetails
	report  smartmove.ReportStatus
}

func (s *Service) pull(ctx context.Context, sm *smartmove.Client, ref string, smID int) (*pulled, error) {
	d, err := sm.ApplicationDetails(ctx, ref, smID)
	if err != nil {
		return nil, err
	}
	r, err := sm.ReportStatus(ctx, ref, smID)
	if err != nil {
		return nil, err
	}
	return &pulled{details: d, report: r}, nil
}

var applicantStatuses = map[smartmove.ApplicantStatus]applicant.Status{
	smartmove.ApplicantNoActivity:       applicant.StatusNO_ACTIVITY,
	smartmove.ApplicantRequestAccepted:  applicant.StatusREQUEST_ACCEPTED,
	smartmove.ApplicantRequestDeclined:  applicant.StatusREQUEST_DECLINED,
	smartmove.ApplicantIDMACompleted:    applicant.StatusIDMA_COMPLETED,
	smartmove.ApplicantReportsRequested: applicant.StatusREPORTS_REQUESTED,
	smartmove.ApplicantReportsAvailable: applicant.StatusREPORTS_AVAILABLE,
	smartmove.ApplicantSupportRequired:  applicant.StatusSUPPORT_REQUIRED,
}

// applyPulled stores what SmartMove said: the details, the applicants (added,
// updated, removed) and the status, which only moves forward.
func (s *Service) applyPulled(ctx context.Context, tx *ent.Client, id int, p *pulled) error {
	d := p.details
	from, err := statusOfNow(ctx, tx, id)
	if err != nil {
		return err
	}
	u := tx.ScreeningApplication.UpdateOneID(id).
		SetSmartmoveStatus(textlimit.Cut(d.Status, 50)).
		SetLandlordPays(d.LandlordPays).
		SetCreditRecommendationPolicyText(textlimit.Cut(d.CreditRecommendationPolicyText, 500)).
		SetLastRefreshedAt(s.now())
	if d.CreditRecommendation.Valid() {
		u.SetCreditRecommendation(recommendations[d.CreditRecommendation])
	}
	if d.Property.Name != "" {
		u.SetPropertyName(textlimit.Cut(d.Property.Name, 50))
	}
	if d.Property.UnitNumber != "" {
		u.SetUnitNumber(textlimit.Cut(d.Property.UnitNumber, 50))
	}
	if err := u.Exec(ctx); err != nil {
		return err
	}
	to, ok := statusOf(p.report)
	if d.Status == "Cancelled" || d.Status == "Canceled" {
		to, ok = screeningapplication.StatusCANCELLED, true
	}
	if ok {
		if _, err := tx.ScreeningApplication.Update().
			Where(screeningapplication.ID(id), screeningapplication.StatusIn(below(to)...)).
			SetStatus(to).Save(ctx); err != nil {
			return err
		}
	}
	have, err := tx.Applicant.Query().Where(applicant.ApplicationID(id)).All(ctx)
	if err != nil {
		return err
	}
	byEmail := map[string]*ent.Applicant{}
	for _, a := range have {
		byEmail[a.Email] = a
	}
	seen := map[string]bool{}
	for _, a := range d.Applicants {
		email := normalizedOrRaw(a.EmailAddress)
		if email == "" || seen[email] {
			continue
		}
		seen[email] = true
		var expires *time.Time
		if !a.RequestExpirationDate.IsZero() {
			t := a.RequestExpirationDate.UTC()
			expires = &t
		}
		st, known := applicantStatuses[a.ApplicantStatus]
		if cur := byEmail[email]; cur != nil {
			up := tx.Applicant.UpdateOneID(cur.ID).SetFirstName(textlimit.Cut(a.FirstName, 100)).SetLastName(textlimit.Cut(a.LastName, 100)).
				SetNillableRequestExpiresAt(expires)
			if known {
				up.SetStatus(st)
			}
			if err := up.Exec(ctx); err != nil {
				return err
			}
			continue
		}
		c := tx.Applicant.Create().SetApplicationID(id).SetEmail(textlimit.Cut(email, 254)).
			SetFirstName(textlimit.Cut(a.FirstName, 100)).SetLastName(textlimit.Cut(a.LastName, 100)).SetNillableRequestExpiresAt(expires)
		if known {
			c.SetStatus(st)
		}
		if err := c.Exec(ctx); err != nil {
			return err
		}
	}
	for email, a := range byEmail {
		if !seen[email] {
			if err := tx.Applicant.DeleteOneID(a.ID).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return s.statusMoved(ctx, tx, id, from)
}

func normalizedOrRaw(email string) string {
	if e, err := normalizeEmail("email", email); err == nil {
		return e
	}
	return ""
}

// ReportURL fetches the link where the landlord views the reports; nil
// until the reports are ready. It is SmartMove's link: never stored.
func (s *Service) ReportURL(ctx context.Context, a *ent.ScreeningApplication) (*string, error) {
	if a.SmartmoveApplicationID == nil || a.Status != screeningapplication.StatusREADY {
		return nil, nil
	}
	sm, err := s.partner()
	if err != nil {
		return nil, err
	}
	u, err := sm.ReportURL(ctx, a.CustomerReference, *a.SmartmoveApplicationID)
	if err != nil {
		return nil, partnerError(err)
	}
	return &u, nil
}

// ReportStatus fetches the report status from SmartMove as it is now; nil
// until SmartMove has the application.
func (s *Service) ReportStatus(ctx context.Context, a *ent.ScreeningApplication) (*string, error) {
	if a.SmartmoveApplicationID == nil {
		return nil, nil
	}
	sm, err := s.partner()
	if err != nil {
		return nil, err
	}
	r, err := sm.ReportStatus(ctx, a.CustomerReference, *a.SmartmoveApplicationID)
	if err != nil {
		return nil, partnerError(err)
	}
	out := string(r)
	return &out, nil
}

// stuckAfter is how long a partner call may stay IN_PROGRESS before the
// refresher decides its process died.
const stuckAfter = 10 * time.Minute

// RefreshStale is the periodic job (jobs.RefreshStaleScreeningsArgs): it
// pulls every open, ordered application that has had no postback or refresh
// for staleAfter, and closes idempotency records left IN_PROGRESS by a
// process that died. It returns how many applications it refreshed.
func (s *Service) RefreshStale(ctx context.Context, staleAfter time.Duration) (int, error) {
	sys := viewer.SystemContext(ctx)
	now := s.now()
	stuck, err := s.DB.ScreeningRequest.Query().
		Where(screeningrequest.StateEQ(screeningrequest.StateIN_PROGRESS), screeningrequest.CreatedAtLT(now.Add(-stuckAfter))).All(sys)
	if err != nil {
		return 0, err
	}
	for _, r := range stuck {
		err := s.inTx(sys, func(ctx context.Context, tx *ent.Client) error {
			if r.ScreeningApplicationID != nil {
				if err := tx.ScreeningApplication.Update().
					Where(screeningapplication.ID(*r.ScreeningApplicationID), screeningapplication.OrderStatusEQ(screeningapplication.OrderStatusSUBMITTING)).
					SetOrderStatus(screeningapplication.OrderStatusUNCONFIRMED).Exec(sys); err != nil {
					return err
				}
			}
			return tx.ScreeningRequest.UpdateOneID(r.ID).SetState(screeningrequest.StateFAILED).
				SetErrorCode("PARTNER_ERROR").SetErrorMessage("the first call with this idempotency key was interrupted; whether it reached SmartMove is unknown").Exec(sys)
		})
		if err != nil {
			s.log().ErrorContext(ctx, "closing an interrupted screening request", "request", r.ID, "error", err.Error())
		}
	}
	if s.SmartMove == nil {
		return 0, nil
	}
	apps, err := s.DB.ScreeningApplication.Query().Where(
		screeningapplication.OrderStatusEQ(screeningapplication.OrderStatusORDERED),
		screeningapplication.SmartmoveApplicationIDNotNil(),
		screeningapplication.StatusIn(screeningapplication.StatusPENDING, screeningapplication.StatusIN_PROGRESS),
		screeningapplication.UpdatedAtLT(now.Add(-staleAfter)),
	).Order(screeningapplication.ByUpdatedAt()).Limit(500).All(sys)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range apps {
		if ctx.Err() != nil {
			// Out of time: the rest are still stale and the next run takes them.
			break
		}
		if err := s.refreshOne(ctx, a); err != nil {
			s.log().WarnContext(ctx, "refreshing a screening application", "application", a.ID, "error", partnerError(err).Error())
			continue
		}
		n++
	}
	if n > 0 {
		s.log().InfoContext(ctx, "screening refresh", "refreshed", n)
	}
	return n, nil
}

// RefreshApplication pulls the details a postback does not carry
// (applicants, recommendation) into one application: the job a postback
// that moved it enqueues. A partner error is returned, for a retry.
func (s *Service) RefreshApplication(ctx context.Context, id int) error {
	a, err := s.DB.ScreeningApplication.Get(viewer.SystemContext(ctx), id)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.refreshOne(ctx, a); err != nil {
		s.log().WarnContext(ctx, "refreshing after a postback", "application", id, "error", partnerError(err).Error())
		return partnerError(err)
	}
	return nil
}

// refreshOne pulls and stores one application, acting as its client.
func (s *Service) refreshOne(ctx context.Context, a *ent.ScreeningApplication) error {
	if s.SmartMove == nil || a.SmartmoveApplicationID == nil {
		return nil
	}
	cctx := viewer.NewContext(ctx, &viewer.Viewer{ClientID: a.ClientID, Scopes: []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite}})
	p, err := s.pull(cctx, s.SmartMove, a.CustomerReference, *a.SmartmoveApplicationID)
	if err != nil {
		return err
	}
	if err := s.inTx(cctx, func(ctx context.Context, tx *ent.Client) error { return s.applyPulled(ctx, tx, a.ID, p) }); err != nil {
		return err
	}
	s.publish(cctx, a.ID)
	return nil
}
