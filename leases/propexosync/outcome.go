package propexosync

import (
	"errors"
	"net/http"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/propexo"
)

// RefreshOutcome is what follows a re-read (RefreshRecord) that ended with
// err. One whose answer cannot change by asking again is cancelled, not
// retried twelve times (each retry repeats every Propexo call it made).
func RefreshOutcome(err error) workflow.Outcome {
	var api *propexo.APIError
	switch {
	case errors.Is(err, ErrNoIntegration), errors.Is(err, ErrUnknownModel),
		errors.Is(err, ErrOtherIntegration), ent.IsNotFound(err):
		return workflow.Cancel(err)
	case errors.As(err, &api) && api.StatusCode == http.StatusBadRequest:
		// Propexo answers an unknown record with a 400: gone since the
		// event; the next full pass marks a lease removed.
		return workflow.Cancel(err)
	}
	return workflow.Retry(err)
}

// WebhookOutcome is what follows an EnsureWebhook that ended with err.
func WebhookOutcome(err error) workflow.Outcome {
	var api *propexo.APIError
	var bad *propexo.ValidationError
	if errors.As(err, &bad) || errors.As(err, &api) && api.StatusCode == http.StatusBadRequest {
		// Refused as invalid (the public URL, most likely): retrying sends
		// the same body. The next day's sync tries again.
		return workflow.Cancel(err)
	}
	return workflow.Retry(err)
}
