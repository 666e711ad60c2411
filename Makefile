# leasegraph: the two commands a newcomer needs are `make run` and `make test`.

# Every go command below runs Go 1.27.3. A machine starts on its own Go (and this one's
# go.env says GOTOOLCHAIN=local, which ignores go.mod's toolchain line), so the version is
# exported here; the go command fetches that toolchain from the module proxy on first use.
export GOTOOLCHAIN := go1.27.3

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export TEST_DATABASE_URL

.PHONY: run test check example-ts http-audit generate migrations river-migrations bench bench-mixed vet lint staticcheck vulncheck check-generated playground

## playground: re-fetch the vendored GraphiQL release (and React) at the versions pinned in
## internal/playground/update.sh from the npm registry (npm pack), with their licenses
playground:
	internal/playground/update.sh

## run: the server on http://localhost:8080 with SQLite, demo data and GraphiQL
run:
	LEASEGRAPH_DEMO=1 go run ./server

## test: go vet, then every test (race detector on) on SQLite and on PostgreSQL ($$TEST_DATABASE_URL);
## each route's suite runs in its own package, none near go test's default 10-minute timeout
test: vet
	go test -race -count=1 ./...

## check: the fast inner loop: go vet, then every test on SQLite only, no browser, no race
## detector, -short (the skips are refused when CI is set: CI runs make test)
check: vet
	LEASEGRAPH_TEST_SKIP_POSTGRES=1 LEASEGRAPH_TEST_SKIP_BROWSER=1 go test -count=1 -short ./...

## example-ts: the typed TypeScript client (examples/typescript) against a fresh demo server:
## builds and starts it on a free port with a temporary SQLite database, then npm ci, codegen
## from its GET /schema.graphql, and the example (move-ins, a prospect delivered); needs Node 20+
example-ts:
	examples/typescript/run-against-demo.sh

## http-audit: graphql-http's own GraphQL-over-HTTP server audit (npm graphql-http, pinned in
## tools/http-audit) against a fresh demo server started as for example-ts, its per-token rate
## limit raised for the audit's burst; fails on an audit error or too few ok; needs Node 20+
http-audit:
	tools/http-audit/run-against-demo.sh

vet:
	go vet ./...

## lint: staticcheck, then govulncheck against the Go vulnerability database, both pinned as
## Go tools in go.mod. The database is built offline from the pinned golang.org/x/vulndb module
## (its OSV files, indexed by its own cmd/indexdb) into $$VULNDB_DIR, once per version. Any
## called vulnerability fails, standard library included (its fix is a newer Go toolchain: raise
## GOTOOLCHAIN above and go.mod's toolchain line); VULN_STDLIB=warn only lists the stdlib ones.
lint: staticcheck vulncheck

VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB_DIR ?= $(HOME)/.cache/leasegraph/vulndb-$(VULNDB_VERSION)
VULN_STDLIB ?= fail

staticcheck:
	go tool staticcheck ./...

vulncheck: $(VULNDB_DIR)/index/db.json
	go tool govulncheck -db file://$(VULNDB_DIR) -format json ./... > $(VULNDB_DIR).scan.json
	go run ./tools/vulngate -stdlib $(VULN_STDLIB) < $(VULNDB_DIR).scan.json

$(VULNDB_DIR)/index/db.json:
	@src=$$(go mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -d "$$src/data/osv" || { echo "golang.org/x/vulndb@$(VULNDB_VERSION) has no data/osv" >&2; exit 1; }; \
	rm -rf $(VULNDB_DIR).tmp && \
	GOFLAGS= go run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) -vulns "$$src/data/osv" -out $(VULNDB_DIR).tmp && \
	rm -rf $(VULNDB_DIR) && mv $(VULNDB_DIR).tmp $(VULNDB_DIR)

## generate: ent (with entgql's schema) first, then gqlgen, then schema.graphql (the full
## SDL that GET /schema.graphql serves, printed by tools/printschema); all from ent/generate.go
generate:
	go mod tidy -e
	go generate ./ent

## migrations: after `make generate`, write the next schema migration of each dialect
## (migrations/sqlite, migrations/postgres) from the ent schema: make migrations NAME=what_changed.
## A migration that drops a table, column, index or foreign key is refused unless ALLOW_DROP=1.
## Needs PostgreSQL at $$TEST_DATABASE_URL (a scratch schema is created and dropped).
migrations:
	go run ./migrations/gen -name "$(NAME)" $(if $(ALLOW_DROP),-allow-drop)

## river-migrations: after upgrading River in go.mod, write River's new schema migrations
## (its own SQL for the pinned version, one file per River migration) into migrations/sqlite
## and migrations/postgres, after the last file, so server migrate applies them like ours
river-migrations:
	go run ./migrations/rivergen

## bench: benchmarks only; speed is measured here, never in tests
bench:
	go test -run '^$$' -bench . -benchmem ./...

## bench-mixed: the mixed-load benchmark (tools/mixedload, docs/testing.md): the server built
## from ./server under leases reads, prospect deliveries, postbacks, registrations, webhooks and a
## first lease sync, all at once and then each alone, on DB=postgres (TEST_DATABASE_URL's server)
## or DB=sqlite; DURATION per phase; MIXED_FLAGS for more (-leases, -sync-leases, -phases, ...).
## Minutes, not seconds: never part of make test
DB ?= postgres
DURATION ?= 60s
bench-mixed:
	go run ./tools/mixedload -db $(DB) -duration $(DURATION) $(MIXED_FLAGS)

## check-generated: fails when `make generate` changes a committed file (schema.graphql
## included), when the ent schema has a change that migrations/ has no migration for, or when
## the pinned River has a migration that migrations/ lacks
check-generated: generate
	@git diff --exit-code --stat -- ent graph schema.graphql go.mod go.sum || (echo "generated code is stale: run make generate and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- ent graph schema.graphql)" || (git status --porcelain -- ent graph schema.graphql; echo "make generate left untracked files" >&2; exit 1)
	go run ./migrations/gen -check
	go run ./migrations/rivergen -check
