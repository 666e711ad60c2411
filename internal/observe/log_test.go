package observe_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/observe"
)

// TestRedaction: a value under a secret's name is never written, nor a
// token or card number inside any string; request ids are added; the demo
// token's explicit exception is printed.
func TestRedaction(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log := observe.NewLogger(&buf, format, slog.LevelInfo)
		ctx := observe.WithRequestID(context.Background(), "rid-1")
		log.With("api_key", "k-bound").InfoContext(ctx, "call",
			"token", "s3cret-token-value",
			"Authorization", "Bearer s3cret-bearer",
			slog.Group("partner", "password", "s3cret-pw", "user", "alice"),
			"path", "/x/lg_abcdefghijklmnopqrstuvwxyz234567",
			"error", errors.New("declined 4242424242424242"),
			"CVV", "cvv-value-987",
			"demo_token", observe.Unredacted("shown-on-purpose"))
		out := buf.String()
		for _, secret := range []string{"k-bound", "s3cret", "abcdefghijklmnopqrstuvwxyz234567", "4242424242424242", "cvv-value"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: %q logged:\n%s", format, secret, out)
			}
		}
		for _, kept := range []string{"alice", "lg_abcdefgh", "rid-1", "request_id", "shown-on-purpose", "[REDACTED]"} {
			if !strings.Contains(out, kept) {
				t.Errorf("%s: %q missing:\n%s", format, kept, out)
			}
		}
	}
}
