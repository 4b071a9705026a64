# Sluice — developer entry points. `make help` lists them.

GO        ?= go
BIN       := bin
ROWS      ?= 1000000
BENCHDATA := testdata/generated

.PHONY: help build test testdeps vet fmt bench clean demo

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build the sluice command into bin/
	$(GO) build -o $(BIN)/sluice ./cmd/sluice

test: vet testdeps ## vet, then run every test with the race detector
	$(GO) test -race -count=1 ./...

# The postgres tests start a throwaway server (plugins/postgres/pgtest) from
# PostgreSQL's binaries; Debian keeps them in /usr/lib/postgresql/*/bin.
testdeps: ## install PostgreSQL's server for the tests, if missing (apt-get, as root)
	@if [ -n "$$SLUICE_TEST_POSTGRES_URL" ] || command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "--- installing postgresql for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "The tests need PostgreSQL's server: sudo apt-get install -y postgresql (or set SLUICE_TEST_POSTGRES_URL)"; exit 1; fi

vet: ## go vet and a gofmt check
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi

fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')

demo: ## upsert a segment into Dynamics contacts on a local emulator, then read them back
	./pipelines/dynamics-demo.sh

clean: ## remove build output and generated data
	rm -rf $(BIN) $(BENCHDATA) out

# `make bench` times whole `sluice run` processes on generated data: W1-W3
# at $(ROWS) rows, then W1 and W3 at 5x the rows to show memory stays flat,
# then W1 with its filter and map in process and served out of process by
# the example transforms plugin, in interleaved rounds (BENCHRUNS of them)
# so that a busy machine slows both alike (docs/benchmarks.md, "External plugins").
BIGROWS   := $(shell echo $$(( $(ROWS) * 5 )))
BENCHRUNS ?= 11
EXTPLUGIN := $(BIN)/sluice-plugin-ext-transforms

bench: build ## time the benchmark pipelines on generated data (ROWS=1000000)
	$(GO) build -o $(EXTPLUGIN) ./plugins/examples/transforms/cmd/sluice-plugin-ext-transforms
	@mkdir -p $(BENCHDATA) out/bench
	@test -f $(BENCHDATA)/segment-$(ROWS).csv || $(GO) run ./cmd/segmentgen --rows $(ROWS) --out $(BENCHDATA)/segment-$(ROWS).csv
	@test -f $(BENCHDATA)/segment-$(BIGROWS).csv || $(GO) run ./cmd/segmentgen --rows $(BIGROWS) --out $(BENCHDATA)/segment-$(BIGROWS).csv
	@$(GO) build -o $(BIN)/w1-handwritten ./testdata/bench/handwritten
	@echo "== $(ROWS) rows"
	@$(GO) run ./cmd/pipelinebench --sluice $(BIN)/sluice --rows $(ROWS) \
		--cmd "w1-by-hand=$(BIN)/w1-handwritten $(BENCHDATA)/segment-$(ROWS).csv out/bench/w1-by-hand.jsonl" \
		w1=testdata/bench/w1.hcl w2=testdata/bench/w2.hcl w3=testdata/bench/w3.hcl \
		-- --var input=$(BENCHDATA)/segment-$(ROWS).csv
	@echo "== $(BIGROWS) rows"
	@$(GO) run ./cmd/pipelinebench --sluice $(BIN)/sluice --rows $(BIGROWS) --runs 1 \
		w1=testdata/bench/w1.hcl w3=testdata/bench/w3.hcl \
		-- --var input=$(BENCHDATA)/segment-$(BIGROWS).csv
	@echo "== W1 at $(ROWS) rows, filter and map in process and out of process ($(BENCHRUNS) interleaved rounds)"
	@GO=$(GO) SLUICE_VAR_transforms_sha256=$$(sha256sum $(EXTPLUGIN) | cut -d' ' -f1) \
		testdata/bench/interleave.sh $(BENCHRUNS) $(ROWS) \
		w1=testdata/bench/w1.hcl w1-external=testdata/bench/w1-external.hcl \
		-- --var input=$(BENCHDATA)/segment-$(ROWS).csv
