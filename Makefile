# leasegraph: the two commands a newcomer needs are `make run` and `make test`.

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export TEST_DATABASE_URL

.PHONY: run test generate migrations bench vet check-generated

## run: the server on http://localhost:8080 with SQLite, demo data and GraphiQL
run:
	LEASEGRAPH_DEMO=1 go run ./server

## test: go vet, then every test (race detector on) on SQLite and on PostgreSQL ($$TEST_DATABASE_URL)
test: vet
	go test -race -count=1 ./...

vet:
	go vet ./...

## generate: ent (with entgql's schema) first, then gqlgen
generate:
	go mod tidy -e
	go generate ./ent

## migrations: after `make generate`, write the next schema migration of each dialect
## (migrations/sqlite, migrations/postgres) from the ent schema: make migrations NAME=what_changed.
## A migration that drops a table, column, index or foreign key is refused unless ALLOW_DROP=1.
## Needs PostgreSQL at $$TEST_DATABASE_URL (a scratch schema is created and dropped).
migrations:
	go run ./migrations/gen -name "$(NAME)" $(if $(ALLOW_DROP),-allow-drop)

## bench: benchmarks only; speed is measured here, never in tests
bench:
	go test -run '^$$' -bench . -benchmem ./...

## check-generated: fails when `make generate` changes a committed file, or when the ent
## schema has a change that migrations/ has no migration for
check-generated: generate
	@git diff --exit-code --stat -- ent graph go.mod go.sum || (echo "generated code is stale: run make generate and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- ent graph)" || (git status --porcelain -- ent graph; echo "make generate left untracked files" >&2; exit 1)
	go run ./migrations/gen -check
