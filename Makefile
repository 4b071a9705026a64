# Sluice — developer entry points. `make help` lists them.

GO        ?= go
BIN       := bin
ROWS      ?= 1000000
BENCHDATA := testdata/generated

.PHONY: help build test vet fmt bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build the sluice command into bin/
	$(GO) build -o $(BIN)/sluice ./cmd/sluice

test: vet ## vet, then run every test with the race detector
	$(GO) test -race -count=1 ./...

vet: ## go vet and a gofmt check
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi

fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output and generated data
	rm -rf $(BIN) $(BENCHDATA) out
