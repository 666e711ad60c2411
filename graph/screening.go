package graph

import (
	"context"
	"strings"

	"github.com/leasegraph/leasegraph/graph/cost"
	"github.com/leasegraph/leasegraph/graph/model"
	"github.com/leasegraph/leasegraph/smartmove"
)

// screeningProperty translates the GraphQL property input to SmartMove's model.
func screeningProperty(p *model.ScreeningPropertyInput) *smartmove.Property {
	if p == nil {
		return nil
	}
	out := &smartmove.Property{
		LandlordFirstName: p.LandlordFirstName, LandlordLastName: p.LandlordLastName,
		LandlordStreetAddressLineOne: p.LandlordStreetAddressLineOne, LandlordStreetAddressLineTwo: p.LandlordStreetAddressLineTwo,
		LandlordCity: p.LandlordCity, LandlordState: p.LandlordState, LandlordZip: p.LandlordZip,
		LandlordPhoneNumber: p.LandlordPhoneNumber, LandlordPhoneExtension: p.LandlordPhoneExtension,
		LandlordEmail: p.LandlordEmail, UnitNumber: p.UnitNumber, Street: p.Street, PropertyName: p.PropertyName,
		City: p.City, State: p.State, Zip: p.Zip, IsFcraAgreementAccepted: p.IsFcraAgreementAccepted,
	}
	switch {
	case p.Classification == nil:
	case *p.Classification == model.ScreeningPropertyClassificationSubsidized:
		out.Classification = smartmove.ClassificationSubsidized
	default:
		out.Classification = smartmove.ClassificationConventional
	}
	return out
}

// screeningCard translates the card input; it is handed to the service and
// never kept.
func screeningCard(c *model.ScreeningCardInput) *smartmove.CreditCard {
	if c == nil {
		return nil
	}
	return &smartmove.CreditCard{
		FirstName: c.FirstName, LastName: c.LastName, CardType: smartmove.CreditCardType(strings.ToLower(string(c.CardType))),
		CardNumber: c.CardNumber, CardSecurity: c.CardSecurity, ExpireMonth: c.ExpireMonth, ExpireYear: c.ExpireYear,
	}
}

// PartnerFields are answered by a call to SmartMove each time they are
// asked: the query cost counts each as a partner call.
var PartnerFields = []string{"ScreeningApplication.reportUrl", "ScreeningApplication.reportStatus"}

// partnerCall runs call once the request may make one more partner call
// (cost.AcquirePartner): a page of applications asking reportUrl must not
// open a connection to SmartMove per row at once.
func partnerCall[T any](ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	release, err := cost.AcquirePartner(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return call(ctx)
}
