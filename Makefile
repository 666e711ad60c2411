# leasegraph: the two commands a newcomer needs are `make run` and `make test`.

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export TEST_DATABASE_URL

.PHONY: run test generate bench vet check-generated

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

## bench: benchmarks only; speed is measured here, never in tests
bench:
	go test -run '^$$' -bench . -benchmem ./...

## check-generated: fails when `make generate` changes a committed file
check-generated: generate
	@git diff --exit-code --stat -- ent graph go.mod go.sum || (echo "generated code is stale: run make generate and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- ent graph)" || (git status --porcelain -- ent graph; echo "make generate left untracked files" >&2; exit 1)
