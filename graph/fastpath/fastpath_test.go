package fastpath

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/leasegraph/leasegraph/types"
)

// appendString must write what the client got before the fast path wrote
// its answer past the transport's encoding: gqlgen's MarshalString, then
// encoding/json's HTML escaping. Every control character, quotes,
// backslashes, HTML characters, U+2028/U+2029 (whole, cut short and at the
// end), multi-byte and invalid UTF-8.
func TestAppendString(t *testing.T) {
	cases := []string{"", "plain", `"quoted"`, `back\slash`, "\t\r\n", "<b>&amp;</b>", "Zoë 日本 🏠",
		"\u2028\u2029", "a\u2028", "\xe2\x80", "\xe2\x80\xa7", "\xe2", "x\xe2\x80\xa9y", "<>&", "\xff\xfe invalid \xc3", "tail\\", "\"", "\x7f"}
	for c := range byte(0x20) {
		cases = append(cases, "a"+string(rune(c))+"b")
	}
	for _, s := range cases {
		if got, want := appendString(nil, s), sent(s); !bytes.Equal(got, want) {
			t.Errorf("%q: wrote %s, gqlgen and encoding/json write %s", s, got, want)
		}
	}
}

// FuzzAppendString compares appendString with gqlgen on any input.
func FuzzAppendString(f *testing.F) {
	f.Add("a\x00\"\\\u00e9\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendString(nil, s), sent(s); !bytes.Equal(got, want) {
			t.Errorf("%q: wrote %s, gqlgen and encoding/json write %s", s, got, want)
		}
	})
}

// sent is s as the client received it from gqlgen: MarshalString's quoting,
// then encoding/json's HTML escaping of the response.
func sent(s string) []byte {
	var quoted, escaped bytes.Buffer
	graphql.MarshalString(s).MarshalGQL(&quoted)
	json.HTMLEscape(&escaped, quoted.Bytes())
	return escaped.Bytes()
}

// appendDate writes what AppendFormat writes with types.DateLayout, at the
// edges of its range and past them.
func TestAppendDate(t *testing.T) {
	for _, y := range []int{-1, 0, 1, 9, 99, 999, 1970, 2024, 9999, 10000} {
		for _, md := range [][2]int{{1, 1}, {2, 29}, {9, 9}, {10, 10}, {12, 31}} {
			d := time.Date(y, time.Month(md[0]), md[1], 0, 0, 0, 0, time.UTC)
			if got, want := string(appendDate(nil, d)), d.Format(types.DateLayout); got != want {
				t.Errorf("%v: wrote %s, want %s", d, got, want)
			}
		}
	}
}
