package importer

import "github.com/leasegraph/leasegraph/types/phone"

// phoneSlot says where a number of unknown purpose goes: cell-capable
// numbers fill the cell phone first (SMS invites need one), fixed lines
// and the rest (VoIP, toll-free, ...) only the home phone. UNKNOWN (a number
// the metadata cannot place) is treated as cell-capable: US numbers are
// mostly mobile and the spec's plain "phone" fields are usually the cell.
func phoneSlot(t phone.Type, cellFree, homeFree bool) (cell, home bool) {
	if phone.CellCapable(t) {
		return cellFree, !cellFree && homeFree
	}
	return false, homeFree
}
