# Sluice — developer entry points. `make help` lists them.

GO        ?= go
BIN       := bin
ROWS      ?= 1000000
BENCHDATA := testdata/generated

.PHONY: help build test vet fmt bench clean demo

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

demo: ## upsert a segment into Dynamics contacts on a local emulator, then read them back
	./pipelines/dynamics-demo.sh

clean: ## remove build output and generated data
	rm -rf $(BIN) $(BENCHDATA) out

# `make bench` times whole `sluice run` processes on generated data: W1-W3
# at $(ROWS) rows, then W1 and W3 at 5x the rows to show memory stays flat.
BIGROWS := $(shell echo $$(( $(ROWS) * 5 )))

bench: build ## time the benchmark pipelines on generated data (ROWS=1000000)
	@mkdir -p $(BENCHDATA) out/bench
	@test -f $(BENCHDATA)/segment-$(ROWS).csv || $(GO) run ./cmd/segmentgen --rows $(ROWS) --out $(BENCHDATA)/segment-$(ROWS).csv
	@test -f $(BENCHDATA)/segment-$(BIGROWS).csv || $(GO) run ./cmd/segmentgen --rows $(BIGROWS) --out $(BENCHDATA)/segment-$(BIGROWS).csv
	@echo "== $(ROWS) rows"
	@$(GO) run ./cmd/pipelinebench --sluice $(BIN)/sluice --rows $(ROWS) \
		w1=testdata/bench/w1.hcl w2=testdata/bench/w2.hcl w3=testdata/bench/w3.hcl \
		-- --var input=$(BENCHDATA)/segment-$(ROWS).csv
	@echo "== $(BIGROWS) rows"
	@$(GO) run ./cmd/pipelinebench --sluice $(BIN)/sluice --rows $(BIGROWS) --runs 1 \
		w1=testdata/bench/w1.hcl w3=testdata/bench/w3.hcl \
		-- --var input=$(BENCHDATA)/segment-$(BIGROWS).csv
