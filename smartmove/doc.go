// Package smartmove is a typed client for RentPrep's SmartMove API
// (tenant screening): nine POST endpoints under /api/smartmove/, each
// authenticated with the x-apiKey header. The partner facts it follows are
// in docs/partners/smartmove.md.
//
// The client checks the spec's field limits before sending, so a bad order
// fails with a *ValidationError naming the field and never reaches the
// partner. Partner failures come back as *APIError, which errors.Is matches
// against ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound,
// ErrRateLimited and ErrServer; transport failures as *TransportError.
// Retryable tells the caller which failures are worth another attempt.
//
// The API key never appears in an error or in the String/GoString output of
// Config or Client. The client never retries on its own: a create whose
// answer was lost may still have ordered, and only the caller's idempotency
// record can tell.
//
// Package smartmovetest holds an in-memory simulator of the same API.
package smartmove
