package smartmove

import "strconv"

// Product is the screening package ordered.
type Product string

// ProductPackageCorePlusEviction is the only product the spec lists: credit,
// credit recommendation, criminal and eviction reports.
const ProductPackageCorePlusEviction Product = "PackageCorePlusEviction"

// Valid reports whether p is a product the spec lists.
func (p Product) Valid() bool { return p == ProductPackageCorePlusEviction }

// Classification is the property classification.
type Classification string

// Classifications from the spec.
const (
	ClassificationConventional Classification = "Conventional"
	ClassificationSubsidized   Classification = "Subsidized"
)

// Valid reports whether c is a classification the spec lists.
func (c Classification) Valid() bool {
	return c == ClassificationConventional || c == ClassificationSubsidized
}

// CreditCardType is the brand of the landlord's card.
type CreditCardType string

// Card types from the spec (lower case on the wire).
const (
	CardVisa       CreditCardType = "visa"
	CardAmex       CreditCardType = "amex"
	CardDiscover   CreditCardType = "discover"
	CardMastercard CreditCardType = "mastercard"
)

// Valid reports whether t is a card type the spec lists.
func (t CreditCardType) Valid() bool {
	switch t {
	case CardVisa, CardAmex, CardDiscover, CardMastercard:
		return true
	}
	return false
}

// ReportStatus is the state of an application's reports, as returned by
// ReportStatus and carried in postbacks.
type ReportStatus string

// Report statuses from the spec.
const (
	ReportPending         ReportStatus = "Pending"
	ReportReady           ReportStatus = "Ready"
	ReportInProgress      ReportStatus = "InProgress"
	ReportRequestDeclined ReportStatus = "RequestDeclined"
	ReportError           ReportStatus = "Error"
	ReportExpired         ReportStatus = "Expired"
)

// Valid reports whether s is a status the spec lists. Unknown statuses are
// still decoded (the partner may add some); callers decide what to do.
func (s ReportStatus) Valid() bool {
	switch s {
	case ReportPending, ReportReady, ReportInProgress, ReportRequestDeclined, ReportError, ReportExpired:
		return true
	}
	return false
}

// Final reports whether no further change is expected.
func (s ReportStatus) Final() bool {
	switch s {
	case ReportReady, ReportRequestDeclined, ReportError, ReportExpired:
		return true
	}
	return false
}

// CreditRecommendation is the screening verdict, an integer on the wire.
type CreditRecommendation int

// Credit recommendations from the spec (0-6).
const (
	RecommendationUnavailable CreditRecommendation = 0
	RecommendationAccept      CreditRecommendation = 1
	RecommendationLowAccept   CreditRecommendation = 2
	RecommendationConditional CreditRecommendation = 3
	RecommendationDecline     CreditRecommendation = 4
	RecommendationRefer       CreditRecommendation = 5
	RecommendationPending     CreditRecommendation = 6
)

var recommendationNames = [...]string{"Unavailable", "Accept", "Low Accept", "Conditional", "Decline", "Refer", "Pending"}

// Valid reports whether r is within the spec's 0-6.
func (r CreditRecommendation) Valid() bool { return r >= 0 && int(r) < len(recommendationNames) }

// String is the spec's description, e.g. "Low Accept".
func (r CreditRecommendation) String() string {
	if !r.Valid() {
		return "CreditRecommendation(" + strconv.Itoa(int(r)) + ")"
	}
	return recommendationNames[r]
}

// ApplicantStatus is one applicant's progress through the application.
type ApplicantStatus string

// Applicant statuses from the spec.
const (
	ApplicantNoActivity       ApplicantStatus = "NoActivity"
	ApplicantRequestAccepted  ApplicantStatus = "RequestAccepted"
	ApplicantRequestDeclined  ApplicantStatus = "RequestDeclined"
	ApplicantIDMACompleted    ApplicantStatus = "IDMACompleted"
	ApplicantReportsRequested ApplicantStatus = "ReportsRequested"
	ApplicantReportsAvailable ApplicantStatus = "ReportsAvailable"
	ApplicantSupportRequired  ApplicantStatus = "SupportRequired"
)

// Valid reports whether s is a status the spec lists.
func (s ApplicantStatus) Valid() bool {
	switch s {
	case ApplicantNoActivity, ApplicantRequestAccepted, ApplicantRequestDeclined, ApplicantIDMACompleted,
		ApplicantReportsRequested, ApplicantReportsAvailable, ApplicantSupportRequired:
		return true
	}
	return false
}

// Responded reports whether the applicant has acted on the request; only an
// applicant who has not may be deleted.
func (s ApplicantStatus) Responded() bool { return s != ApplicantNoActivity && s != "" }
