package main

import (
	"sort"
	"strings"
	"testing"
)

// TestSchemaIsDocumented: the playground is the documentation for CRM
// vendors, so every type, field, argument, input field and enum value the
// API exposes carries a description.
func TestSchemaIsDocumented(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		_, token := e.newClient("Docs")
		var out struct {
			Schema struct {
				Types []struct {
					Name        string
					Description *string
					Fields      []struct {
						Name        string
						Description *string
						Args        []struct {
							Name        string
							Description *string
						}
					}
					InputFields []struct {
						Name        string
						Description *string
					}
					EnumValues []struct {
						Name        string
						Description *string
					}
				}
			} `json:"__schema"`
		}
		e.mustGQL(token, `{ __schema { types {
			name description
			fields { name description args { name description } }
			inputFields { name description }
			enumValues { name description } } } }`, nil, &out)
		var missing []string
		blank := func(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }
		for _, ty := range out.Schema.Types {
			if strings.HasPrefix(ty.Name, "__") {
				continue
			}
			if blank(ty.Description) {
				missing = append(missing, ty.Name)
			}
			for _, f := range ty.Fields {
				if blank(f.Description) {
					missing = append(missing, ty.Name+"."+f.Name)
				}
				for _, a := range f.Args {
					if blank(a.Description) {
						missing = append(missing, ty.Name+"."+f.Name+"("+a.Name+")")
					}
				}
			}
			for _, f := range ty.InputFields {
				if blank(f.Description) {
					missing = append(missing, ty.Name+"."+f.Name)
				}
			}
			for _, v := range ty.EnumValues {
				if blank(v.Description) {
					missing = append(missing, ty.Name+"."+v.Name)
				}
			}
		}
		if len(out.Schema.Types) < 20 {
			t.Fatalf("introspection returned only %d types", len(out.Schema.Types))
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%d schema elements have no description:\n%s", len(missing), strings.Join(missing, "\n"))
		}
	})
}
