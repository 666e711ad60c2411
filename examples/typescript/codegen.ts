import type { CodegenConfig } from "@graphql-codegen/cli";

// The schema is read from the running server (GET /schema.graphql needs no
// token), so the types are those of the server the example talks to.
// API_SCHEMA_FILE may name another URL or a file (../../schema.graphql,
// the committed copy of the same SDL) to generate without a server.
const url = (process.env.API_URL ?? "http://localhost:8080").replace(/\/+$/, "");
const schema = process.env.API_SCHEMA_FILE ?? `${url}/schema.graphql`;

const config: CodegenConfig = {
  schema,
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        // Documents as strings (TypedDocumentString): fetch sends them as
        // they are, no GraphQL library at run time.
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        // leasegraph's custom scalars, all strings in JSON.
        scalars: {
          ID: "string",
          Cursor: "string",
          Date: "string",
          Time: "string",
          Map: "Record<string, unknown>",
        },
        strictScalars: true,
      },
      presetConfig: {
        fragmentMasking: false,
      },
    },
  },
};

export default config;
