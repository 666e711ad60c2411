// Package webhooks delivers a client's events to its webhook endpoints,
// signed per the Standard Webhooks specification: the endpoints' management
// (Service), one attempt of a delivery (Deliverer), and the rules of both.
package webhooks
