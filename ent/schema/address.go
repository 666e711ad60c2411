package schema

import (
	"database/sql/driver"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"

	"github.com/leasegraph/leasegraph/types"
)

// addressField is an optional address column, stored as JSON (jsonb on
// PostgreSQL, json on SQLite, as when it was an ent JSON field: the
// columns did not change). It is a bytes field with its own codec rather
// than an ent JSON field so that reading a row does not pass every address
// through json.Unmarshal (types.ScanAddress says why).
func addressField(name, comment string) ent.Field {
	return field.Bytes(name).GoType(&types.Address{}).ValueScanner(addressCodec).
		SchemaType(map[string]string{dialect.Postgres: "jsonb", dialect.SQLite: "json"}).
		Optional().Comment(comment).
		Annotations(entgql.Type("Address"), entgql.Skip(entgql.SkipWhereInput))
}

// hiddenAddressField is an optional address column that the graph does
// not show (nor filter on): data a service keeps for itself.
func hiddenAddressField(name, comment string) ent.Field {
	return field.Bytes(name).GoType(&types.Address{}).ValueScanner(addressCodec).
		SchemaType(map[string]string{dialect.Postgres: "jsonb", dialect.SQLite: "json"}).
		Optional().Comment(comment).
		Annotations(entgql.Skip(entgql.SkipAll))
}

var addressCodec = field.ValueScannerFunc[*types.Address, *types.AddressColumn]{
	V: func(a *types.Address) (driver.Value, error) { return types.AddressValue(a) },
	S: (*types.AddressColumn).Address,
}
