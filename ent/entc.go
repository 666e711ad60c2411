//go:build ignore

// entc.go generates the ent code and graph/ent.graphqls. Type descriptions
// come from each schema's schema.Comment so the playground documents every
// type; predicates entgql leaves undescribed get a description from their
// suffix.
package main

import (
	"encoding/json"
	"log"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	entschema "entgo.io/ent/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	// entgql's pagination template declares a Go alias named after a
	// renamed node's GraphQL type; Company's is Client, which is ent's entry
	// point (template/gql_pagination.tmpl).
	pagination, err := gen.NewTemplate("gql_pagination").Funcs(entgql.TemplateFuncs).ParseFiles("template/gql_pagination.tmpl")
	if err != nil {
		log.Fatalf("parsing the pagination template: %v", err)
	}
	ex, err := entgql.NewExtension(
		// Before WithWhereInputs, which adds its template to these.
		entgql.WithTemplates(entgql.CollectionTemplate, entgql.EnumTemplate, entgql.NodeTemplate, pagination,
			entgql.TransactionTemplate, entgql.EdgeTemplate, entgql.MutationInputTemplate),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphqls"),
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(describe),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy, gen.FeatureEntQL, gen.FeatureUpsert, gen.FeatureGlobalID,
			gen.FeatureIntercept, gen.FeatureExecQuery,
		},
	}, entc.Extensions(ex), entc.TemplateFiles("template/scan.tmpl"))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// predicateSuffixes describe entgql's generated filter fields, longest first.
var predicateSuffixes = []struct{ suffix, text string }{
	{"ContainsFold", "contains the value, ignoring case"},
	{"EqualFold", "equals the value, ignoring case"},
	{"HasPrefix", "starts with the value"},
	{"HasSuffix", "ends with the value"},
	{"Contains", "contains the value"},
	{"NotNil", "is set"},
	{"IsNil", "is not set"},
	{"NotIn", "is none of the values"},
	{"NEQ", "is not equal to the value"},
	{"GTE", "is greater than or equal to the value"},
	{"LTE", "is less than or equal to the value"},
	{"In", "is one of the values"},
	{"GT", "is greater than the value"},
	{"LT", "is less than the value"},
}

func describe(g *gen.Graph, s *ast.Schema) error {
	comments := map[string]string{}
	for _, n := range g.Nodes {
		ant := &entschema.CommentAnnotation{}
		if raw, ok := n.Annotations[ant.Name()]; ok {
			b, _ := json.Marshal(raw)
			_ = json.Unmarshal(b, ant)
			comments[n.Name] = ant.Text
			var gql struct{ Type string }
			if b, err := json.Marshal(n.Annotations["EntGQL"]); err == nil && json.Unmarshal(b, &gql) == nil && gql.Type != "" {
				comments[gql.Type] = ant.Text
			}
		}
	}
	edges := map[string]string{}
	for _, n := range g.Nodes {
		gqlName := n.Name
		var gql struct{ Type string }
		if b, err := json.Marshal(n.Annotations["EntGQL"]); err == nil && json.Unmarshal(b, &gql) == nil && gql.Type != "" {
			gqlName = gql.Type
		}
		for _, e := range n.Edges {
			edges[gqlName+"."+camel(e.Name)] = e.Comment()
		}
		// entgql names the objects a renamed node's filter matches by the
		// ent name, which the API never shows (Company for Client).
		if w := s.Types[gqlName+"WhereInput"]; w != nil && gqlName != n.Name {
			w.Description = strings.Replace(w.Description, " "+n.Name+" objects", " "+gqlName+" objects", 1)
		}
	}
	if q := s.Types["Query"]; q != nil && q.Description == "" {
		q.Description = "The entry points for reading: every list is scoped to the caller's client."
	}
	for name, def := range s.Types {
		if def.Kind == ast.Object {
			for _, f := range def.Fields {
				switch {
				case f.Description != "":
				case f.Name == "id":
					f.Description = "The object's global id: pass it to node(id:) to fetch the object again."
				default:
					f.Description = edges[name+"."+f.Name]
				}
			}
		}
		if def.Description == "" {
			if c, ok := comments[name]; ok {
				def.Description = c
			} else if c, ok := comments[strings.ToUpper(name[:1])+strings.ToLower(name[1:])]; ok {
				def.Description = c
			}
		}
		if strings.HasSuffix(name, "WhereInput") {
			for _, f := range def.Fields {
				if f.Description == "" {
					f.Description = predicateDescription(f.Name)
				}
			}
		}
		for _, v := range def.EnumValues {
			if v.Description == "" {
				v.Description = strings.ToLower(strings.ReplaceAll(v.Name, "_", " "))
			}
		}
	}
	return nil
}

// camel turns an ent edge name (snake_case) into its GraphQL field name.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func predicateDescription(name string) string {
	switch name {
	case "not":
		return "Matches what the given filter does not match."
	case "and":
		return "Matches what every given filter matches."
	case "or":
		return "Matches what any given filter matches."
	}
	if strings.HasPrefix(name, "has") && strings.HasSuffix(name, "With") {
		return "Has an edge " + strings.TrimSuffix(strings.TrimPrefix(name, "has"), "With") + " matching one of the given filters."
	}
	for _, p := range predicateSuffixes {
		if strings.HasSuffix(name, p.suffix) {
			return strings.TrimSuffix(name, p.suffix) + " " + p.text + "."
		}
	}
	return name + " equals the value."
}
