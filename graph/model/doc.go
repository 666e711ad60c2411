// Package model holds the GraphQL inputs, payloads and enums that ent does not
// generate (models_gen.go, written by gqlgen from schema.graphqls; never
// edited by hand). This file is its only hand-written one.
package model
