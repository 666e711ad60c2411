package types

// Address is a postal address in the lease-service spec's shape. It is stored
// as JSON beside the row that owns it: a unit, a previous or a forwarding address.
type Address struct {
	Street string `json:"street"`
	Apt    string `json:"apt"`
	City   string `json:"city"`
	State  string `json:"state"`
	Zip    string `json:"zip"`
}

// IsZero reports whether no part of the address is known.
func (a *Address) IsZero() bool { return a == nil || *a == Address{} }
