package smartmove

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// CreateApplication posts an order to application/create and returns the
// link the landlord must open to finish the application on SmartMove's
// form. The order's fields only pre-fill that form.
func (c *Client) CreateApplication(ctx context.Context, referenceID string, o Order) (string, error) {
	if err := validateOrder(referenceID, &o, false); err != nil {
		return "", err
	}
	return c.link(ctx, "application/create", orderRequest{Customer: Customer{ReferenceID: referenceID}, Order: o})
}

// CreateEmbeddedApplication posts a complete order to
// application/create/embedded and returns the new application's id.
// SmartMove emails the applicants and the landlord.
func (c *Client) CreateEmbeddedApplication(ctx context.Context, referenceID string, o Order) (int, error) {
	if err := validateOrder(referenceID, &o, true); err != nil {
		return 0, err
	}
	var id applicationID
	if err := c.call(ctx, "application/create/embedded", orderRequest{Customer: Customer{ReferenceID: referenceID}, Order: o}, &id); err != nil {
		return 0, err
	}
	return int(id), nil
}

// AddApplicant adds an applicant by email. SmartMove allows it only when the
// tenants pay and the application is not complete.
func (c *Client) AddApplicant(ctx context.Context, referenceID string, applicationID int, email string) error {
	if err := validateApplicant(referenceID, applicationID, email); err != nil {
		return err
	}
	return c.call(ctx, "applicant/add", applicantRequest{ApplicationID: applicationID, ReferenceID: referenceID, Email: email}, nil)
}

// DeleteApplicant removes an applicant who has not responded and is not the
// only one on the application.
func (c *Client) DeleteApplicant(ctx context.Context, referenceID string, applicationID int, email string) error {
	if err := validateApplicant(referenceID, applicationID, email); err != nil {
		return err
	}
	return c.call(ctx, "applicant/delete", applicantRequest{ApplicationID: applicationID, ReferenceID: referenceID, Email: email}, nil)
}

// ApplicationDetails returns one application with its applicants.
func (c *Client) ApplicationDetails(ctx context.Context, referenceID string, applicationID int) (*ApplicationDetails, error) {
	if err := validateApplicationRef(referenceID, applicationID); err != nil {
		return nil, err
	}
	var d ApplicationDetails
	if err := c.call(ctx, "application/details", applicationRequest{ApplicationID: applicationID, ReferenceID: referenceID}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Applications lists the customer's applications, newest first. limit 0
// means SmartMove's default (10); page is sent as given: the spec offsets by
// page*limit, so page 0 is the first page.
func (c *Client) Applications(ctx context.Context, referenceID string, limit, page int) ([]ApplicationSummary, error) {
	if err := validateList(referenceID, limit, page); err != nil {
		return nil, err
	}
	var list []ApplicationSummary
	if err := c.call(ctx, "application/all", listRequest{ReferenceID: referenceID, Limit: limit, Page: page}, &list); err != nil {
		return nil, err
	}
	if list == nil {
		list = []ApplicationSummary{} // a JSON null and [] both mean "none"
	}
	return list, nil
}

// CancelApplication cancels an application.
func (c *Client) CancelApplication(ctx context.Context, referenceID string, applicationID int) error {
	if err := validateApplicationRef(referenceID, applicationID); err != nil {
		return err
	}
	return c.call(ctx, "application/cancel", applicationRequest{ApplicationID: applicationID, ReferenceID: referenceID}, nil)
}

// ReportURL returns the link where the landlord views the reports. Fetch it
// on demand: it is SmartMove's, not ours to store.
func (c *Client) ReportURL(ctx context.Context, referenceID string, applicationID int) (string, error) {
	if err := validateApplicationRef(referenceID, applicationID); err != nil {
		return "", err
	}
	return c.link(ctx, "application/reportUrl", applicationRequest{ApplicationID: applicationID, ReferenceID: referenceID})
}

// ReportStatus returns the state of the application's reports.
func (c *Client) ReportStatus(ctx context.Context, referenceID string, applicationID int) (ReportStatus, error) {
	if err := validateApplicationRef(referenceID, applicationID); err != nil {
		return "", err
	}
	var s ReportStatus
	if err := c.call(ctx, "application/report/status", applicationRequest{ApplicationID: applicationID, ReferenceID: referenceID}, &s); err != nil {
		return "", err
	}
	if s == "" {
		return "", fmt.Errorf("%w: application/report/status: empty status", ErrMalformedResponse)
	}
	return s, nil
}

// link calls an endpoint that answers with a JSON string holding a URL and
// checks that it is one: a link the user is sent to must be absolute.
func (c *Client) link(ctx context.Context, endpoint string, body any) (string, error) {
	var s string
	if err := c.call(ctx, endpoint, body, &s); err != nil {
		return "", err
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%w: %s: answer is not an absolute URL", ErrMalformedResponse, endpoint)
	}
	return s, nil
}

// applicationID decodes the embedded create's answer. The spec says only
// "a 200 response with the Application ID", so a bare number, a numeric
// string and an object with ApplicationId are all accepted.
type applicationID int

func (a *applicationID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		return a.set(n.String())
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return a.set(s)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("application id: not a number, string or object")
	}
	for k, v := range obj {
		if strings.EqualFold(k, "applicationId") {
			return a.UnmarshalJSON(v)
		}
	}
	return fmt.Errorf("application id: object without ApplicationId")
}

func (a *applicationID) set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return fmt.Errorf("application id: not a positive integer")
	}
	*a = applicationID(n)
	return nil
}
