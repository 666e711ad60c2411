package twilio

import "strings"

// gsm7 is the GSM 03.38 basic character set; gsm7Ext its extension table,
// whose characters take two septets (an escape and the character).
const (
	gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// Segments counts the SMS segments body takes, as Twilio bills them. A body
// of GSM-7 characters fits 160 in one segment, otherwise it is UCS-2 and
// fits 70 (docs/partners/twilio.md#segments). A longer body is split into concatenated
// segments whose header leaves 153 septets (GSM-7) or 67 UTF-16 units
// (UCS-2) each; an extension character is never split from its escape.
func Segments(body string) int {
	if body == "" {
		return 1
	}
	if septets, ok := gsm7Septets(body); ok {
		return split(septets, 160, 153)
	}
	var units []int
	for _, r := range body {
		if r > 0xFFFF {
			units = append(units, 2) // a surrogate pair
		} else {
			units = append(units, 1)
		}
	}
	return split(units, 70, 67)
}

// split counts the segments of characters of the given widths: one when
// they fit in single, else parts of at most part, a character never split.
func split(widths []int, single, part int) int {
	total := 0
	for _, w := range widths {
		total += w
	}
	if total <= single {
		return 1
	}
	n, used := 1, 0
	for _, w := range widths {
		if used+w > part {
			n, used = n+1, 0
		}
		used += w
	}
	return n
}

// IsGSM7 says body can be sent in the GSM-7 alphabet.
func IsGSM7(body string) bool {
	_, ok := gsm7Septets(body)
	return ok
}

// gsm7Septets gives each character's width in septets, or false when body
// needs UCS-2.
func gsm7Septets(body string) ([]int, bool) {
	var w []int
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsm7, r):
			w = append(w, 1)
		case strings.ContainsRune(gsm7Ext, r):
			w = append(w, 2)
		default:
			return nil, false
		}
	}
	return w, true
}
