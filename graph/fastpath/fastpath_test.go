package fastpath

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// appendString must escape exactly as gqlgen's MarshalString: every
// control character, quotes, backslashes, HTML characters (left alone),
// multi-byte and invalid UTF-8.
func TestAppendString(t *testing.T) {
	cases := []string{"", "plain", `"quoted"`, `back\slash`, "\t\r\n", "<b>&amp;</b>", "Zoë 日本 🏠",
		"\u2028\u2029", "\xff\xfe invalid \xc3", "tail\\", "\"", "\x7f"}
	for c := range byte(0x20) {
		cases = append(cases, "a"+string(rune(c))+"b")
	}
	for _, s := range cases {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := appendString(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%q: wrote %s, gqlgen writes %s", s, got, want.Bytes())
		}
	}
}

// FuzzAppendString compares appendString with gqlgen on any input.
func FuzzAppendString(f *testing.F) {
	f.Add("a\x00\"\\\u00e9\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := appendString(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%q: wrote %s, gqlgen writes %s", s, got, want.Bytes())
		}
	})
}
