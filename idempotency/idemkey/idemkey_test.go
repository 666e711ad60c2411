package idemkey

import (
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/apperr"
)

func TestCheck(t *testing.T) {
	for in, want := range map[string]string{"": "", "  k-1 ": "k-1", strings.Repeat("é", MaxLen): strings.Repeat("é", MaxLen)} {
		if got, err := Check(in); err != nil || got != want {
			t.Errorf("Check(%q) = %q, %v", in, got, err)
		}
	}
	_, err := Check(strings.Repeat("k", MaxLen+1))
	if ae, ok := apperr.As(err); !ok || ae.Code != apperr.CodeBadInput || ae.Field[0] != "idempotencyKey" {
		t.Fatalf("a key over %d characters: %v", MaxLen, err)
	}
}
