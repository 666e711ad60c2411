package graph

import (
	"strings"

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
