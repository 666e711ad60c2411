// Command printschema writes the schema's SDL, exactly as GET
// /schema.graphql serves it, to the file named by -o (make generate writes
// schema.graphql at the repository's root, so a schema change shows in
// review as a diff of what clients see, deprecations included).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/graph/handler"
)

func main() {
	out := flag.String("o", "schema.graphql", "the file to write")
	flag.Parse()
	// The schema's types need no resolvers: nil ones print the same SDL
	// the server's do.
	sdl := handler.SDL(graph.NewSchema(nil, graph.Services{}))
	// Written beside and renamed, so a failed run never leaves half a file.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".schema-*.graphql")
	if err == nil {
		_, err = tmp.Write(sdl)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(tmp.Name(), *out)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "printschema:", err)
		os.Exit(1)
	}
}
