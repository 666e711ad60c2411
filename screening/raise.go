package screening

import (
	"context"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/applicant"
	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/events"
)

// applicationData is the screening events' data: the application as the
// graph shows it, without what is never sent (the report's URL, the
// postback's key and credentials, the completion link).
type applicationData struct {
	Status                 screeningapplication.Status               `json:"status"`
	PreviousStatus         screeningapplication.Status               `json:"previous_status"`
	OrderStatus            screeningapplication.OrderStatus          `json:"order_status"`
	Kind                   screeningapplication.Kind                 `json:"kind"`
	SmartmoveApplicationID *int                                      `json:"smartmove_application_id"`
	CreditRecommendation   screeningapplication.CreditRecommendation `json:"credit_recommendation"`
	PropertyName           string                                    `json:"property_name"`
	UnitNumber             string                                    `json:"unit_number"`
	Applicants             []applicantData                           `json:"applicants"`
}

type applicantData struct {
	Email     string           `json:"email"`
	Status    applicant.Status `json:"status"`
	FirstName string           `json:"first_name"`
	LastName  string           `json:"last_name"`
}

// statusOfNow is application id's report status, read in the transaction
// that may move it: the previous status of its events.
func statusOfNow(ctx context.Context, tx *ent.Client, id int) (screeningapplication.Status, error) {
	a, err := tx.ScreeningApplication.Query().Where(screeningapplication.ID(id)).Select(screeningapplication.FieldStatus).Only(ctx)
	if err != nil {
		return "", err
	}
	return a.Status, nil
}

// statusMoved raises the events of application id's report status having
// moved from `from`, in the transaction that moved it (ctx's; tx is its
// client), once the transaction's other changes (its applicants) are
// written: screening.status_changed, and screening.report_ready when the
// report is READY. A status that did not move raises nothing.
func (s *Service) statusMoved(ctx context.Context, tx *ent.Client, id int, from screeningapplication.Status) error {
	a, err := tx.ScreeningApplication.Query().Where(screeningapplication.ID(id)).
		WithApplicants(func(q *ent.ApplicantQuery) { q.Order(ent.Asc(applicant.FieldID)) }).Only(ctx)
	if err != nil || a.Status == from {
		return err
	}
	d := applicationData{Status: a.Status, PreviousStatus: from, OrderStatus: a.OrderStatus, Kind: a.Kind,
		SmartmoveApplicationID: a.SmartmoveApplicationID, CreditRecommendation: a.CreditRecommendation,
		PropertyName: a.PropertyName, UnitNumber: a.UnitNumber, Applicants: []applicantData{}}
	for _, ap := range a.Edges.Applicants {
		d.Applicants = append(d.Applicants, applicantData{Email: ap.Email, Status: ap.Status, FirstName: ap.FirstName, LastName: ap.LastName})
	}
	types := []events.Type{events.ScreeningStatusChanged}
	if a.Status == screeningapplication.StatusREADY {
		types = append(types, events.ScreeningReportReady)
	}
	for _, t := range types {
		if _, err := s.Events.Record(ctx, events.Event{Type: t, ClientID: a.ClientID, ObjectType: "ScreeningApplication", ObjectID: a.ID, Data: d}); err != nil {
			return err
		}
	}
	return nil
}
