package fastpath

// WhitelistType is one object type of the whitelist, for the differential
// test's generator: it generates selections of exactly what the fast path
// claims to write, so a field added to the whitelist is tested at once.
type WhitelistType struct {
	Name       string
	Implements []string
	Fields     []WhitelistField
}

// WhitelistField is a whitelisted field; Type is set for an object.
type WhitelistField struct {
	Name string
	Type *WhitelistType
}

// Whitelist returns the connection's type, from which every other is
// reached.
func Whitelist() *WhitelistType {
	done := map[*objectType]*WhitelistType{}
	var conv func(t *objectType) *WhitelistType
	conv = func(t *objectType) *WhitelistType {
		if w := done[t]; w != nil {
			return w
		}
		w := &WhitelistType{Name: t.name, Implements: t.implements}
		done[t] = w
		for _, name := range fieldNames(t) {
			f := WhitelistField{Name: name}
			if child := t.children[t.fields[name].kind]; child != nil {
				f.Type = conv(child)
			}
			w.Fields = append(w.Fields, f)
		}
		return w
	}
	return conv(connectionType)
}
