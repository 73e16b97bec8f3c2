# Portico — build, run, test and measure. Needs only Go; everything else is built or installed here.
GO      ?= go
BIN     := bin/portico
PKGS    := ./...

.PHONY: all build policies run cluster test check fmt vet race fuzz bench bench-go bench-load bench-cluster clean

all: build

## build: the portico binary (built-in wasm policies embedded)
build: policies
	$(GO) build -trimpath -o $(BIN) ./cmd/portico

## policies: compile the built-in policies to wasm (policies/builtin/wasm/*.wasm, committed, reproducible)
policies:
	@./policies/build.sh

## run: a single-node cluster with a demo backend, a demo API, an app and a key (data in ./.portico/dev)
run: build
	./$(BIN) dev

## cluster: a 3-node cluster on this machine with mutual TLS (deploy/cluster/local.sh; stop with `... stop`)
cluster: build
	./deploy/cluster/local.sh start

## test: every test, including end-to-end tests against real node processes
test: policies
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 15m $(PKGS)

## check: formatting, vet, race tests, and that the committed wasm policies match their sources
check: policies
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -race -timeout 20m $(PKGS)
	@git diff --exit-code --stat -- policies/builtin/wasm || { echo "policies/builtin/wasm is stale: commit the rebuilt modules"; exit 1; }

## fuzz: run each fuzz target for a short while
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzNormalize -fuzztime 30s ./node/urlpath
	$(GO) test -run '^$$' -fuzz FuzzMatch -fuzztime 30s ./node/route
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./node/apifile

## bench: Go benchmarks plus wrk load runs against real processes, with ratios against baselines from the same run
bench: bench-go bench-load bench-cluster

bench-go: policies
	$(GO) test -run '^$$' -bench . -benchmem -count 5 $$($(GO) list ./node/... ./plugins/... ./policies/... | grep -v /e2e) | tee bench-go.txt

## bench-cluster: three real nodes: deploy propagation, write throughput through a follower, token revocation
## reaching every node, leader failover
bench-cluster: policies
	$(GO) test -run '^$$' -bench 'ClusterDeployPropagation' -benchtime 200x ./node/e2e | tee bench-cluster.txt
	$(GO) test -run '^$$' -bench 'ClusterWriteThroughput' -benchtime 2000x ./node/e2e | tee -a bench-cluster.txt
	$(GO) test -run '^$$' -bench 'ClusterRevocation' -benchtime 100x ./node/e2e | tee -a bench-cluster.txt
	$(GO) test -run '^$$' -bench 'ClusterFailover' -benchtime 5x ./node/e2e | tee -a bench-cluster.txt

bench-load: build
	./deploy/bench/load.sh

clean:
	rm -rf bin bench-go.txt bench-cluster.txt
