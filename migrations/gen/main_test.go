package main

import (
	"strings"
	"testing"

	atlas "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/leasegraph/leasegraph/ent/migrate"
	"github.com/leasegraph/leasegraph/migrations"
)

// A diff that drops something is refused unless allowed; other changes pass.
func TestRefuseDrops(t *testing.T) {
	companies := atlas.NewTable("companies")
	diff := func(changes ...atlas.Change) schema.Differ {
		return schema.DiffFunc(func(_, _ *atlas.Schema) ([]atlas.Change, error) { return changes, nil })
	}
	drop := &atlas.ModifyTable{T: companies, Changes: []atlas.Change{
		&atlas.AddIndex{I: atlas.NewIndex("company_name")},
		&atlas.DropColumn{C: atlas.NewColumn("smartmove_reference")},
		&atlas.DropIndex{I: atlas.NewIndex("company_ref")},
	}}
	_, err := refuseDrops(false)(diff(drop)).Diff(nil, nil)
	if err == nil || !strings.Contains(err.Error(), "column companies.smartmove_reference") ||
		!strings.Contains(err.Error(), "index company_ref on companies") || !strings.Contains(err.Error(), "ALLOW_DROP=1") {
		t.Fatalf("a dropping diff: %v", err)
	}
	if _, err := refuseDrops(false)(diff(&atlas.DropTable{T: companies})).Diff(nil, nil); err == nil {
		t.Fatal("a dropped table passed")
	}
	if changes, err := refuseDrops(true)(diff(drop)).Diff(nil, nil); err != nil || len(changes) != 1 {
		t.Fatalf("an allowed drop: %v, %v", changes, err)
	}
	add := &atlas.ModifyTable{T: companies, Changes: []atlas.Change{&atlas.AddIndex{I: atlas.NewIndex("company_name")}}}
	if changes, err := refuseDrops(false)(diff(add)).Diff(nil, nil); err != nil || len(changes) != 1 {
		t.Fatalf("an additive diff: %v, %v", changes, err)
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{"add_company_refs": true, "": false, "../x": false, "a b": false} {
		if validName(name) != want {
			t.Errorf("validName(%q) = %v", name, !want)
		}
	}
}

// River's tables are in the replayed directory but not in ent's schema:
// their drops are left out before refuseDrops sees the diff, ours are not.
func TestSkipRiver(t *testing.T) {
	diff := schema.DiffFunc(func(_, _ *atlas.Schema) ([]atlas.Change, error) {
		return []atlas.Change{
			&atlas.DropTable{T: atlas.NewTable("river_job")},
			&atlas.DropObject{O: &atlas.EnumType{T: "river_job_state"}},
		}, nil
	})
	if changes, err := refuseDrops(false)(skipRiver(diff)).Diff(nil, nil); err != nil || len(changes) != 0 {
		t.Fatalf("River's tables: %v, %v; want no change", changes, err)
	}
	ours := schema.DiffFunc(func(_, _ *atlas.Schema) ([]atlas.Change, error) {
		return []atlas.Change{&atlas.DropTable{T: atlas.NewTable("companies")}}, nil
	})
	if _, err := refuseDrops(false)(skipRiver(ours)).Diff(nil, nil); err == nil {
		t.Fatal("a dropped table of ours passed")
	}
}

// River's prefix is River's alone: an ent table named with it would be left
// out of every diff.
func TestNoEntTableIsRivers(t *testing.T) {
	for _, tb := range migrate.Tables {
		if migrations.RiverObject(tb.Name) {
			t.Errorf("ent table %s has River's prefix", tb.Name)
		}
	}
}
