package textlimit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"héllo", 2, "hé"}, // 3 bytes, 2 characters
		{"日本語テキスト", 3, "日本語"}, // never inside a character
		{"ab", 0, ""},
	} {
		if got := Cut(c.in, c.n); got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	long := strings.Repeat("é", ErrorLen+5)
	got := ErrorText(long)
	if n := utf8.RuneCountInString(got); n != ErrorLen || !utf8.ValidString(got) {
		t.Errorf("ErrorText kept %d characters (valid %v), want %d", n, utf8.ValidString(got), ErrorLen)
	}
}
