# meshledger — the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BUILD     ?= build
DATA_DIR  ?= ./data
LISTEN    ?= 127.0.0.1:8080
# Every directory under contracts/ and examples/ that holds a main package
# importing the contract SDK is a contract (examples/assistance is a client).
CONTRACT_DIRS := $(shell $(GO) list -f '{{if eq .Name "main"}}{{range .Imports}}{{if eq . "github.com/meshledger/meshledger/sdk/contract"}}{{$$.Dir}}{{end}}{{end}}{{end}}' ./contracts/... ./examples/... 2>/dev/null | grep -v '/cmd/')
TEST_TIMEOUT ?= 20m

.PHONY: all run test contracts build bench bench-audit bench-scale vet fmt clean ethers browser race

all: build contracts

## run: build everything and start a node on $(LISTEN) with data in $(DATA_DIR)
run: build contracts
	$(BUILD)/meshledger node --data-dir $(DATA_DIR) --listen $(LISTEN)

## build: the meshledger and loadgen binaries
build:
	@mkdir -p $(BUILD)
	$(GO) build -trimpath -o $(BUILD)/meshledger ./cmd/meshledger
	$(GO) build -trimpath -o $(BUILD)/loadgen ./cmd/loadgen

## contracts: compile every contract to Wasm with the standard Go toolchain,
## its manifest (generated from the Go types it registers) embedded
contracts:
	@mkdir -p $(BUILD)/contracts
	$(GO) run ./sdk/build/cmd/buildcontracts -o $(BUILD)/contracts $(CONTRACT_DIRS)

## test: vet, every test, and the concurrent packages again under the race detector
test: contracts ethers browser
	$(GO) vet ./...
	ETHERS_DIR=$(if $(wildcard $(BUILD)/ethers/node_modules/ethers),$(abspath $(BUILD)/ethers),) \
		$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) race

# Packages whose code runs concurrently. Tests that compile a Go-built contract
# skip themselves under -race (compiling it instrumented takes minutes).
RACE_PKGS := ./runtime/ ./ledger/ ./cmd/meshledger/ ./node/... ./sdk/client/... ./ledger/tx/... ./ledger/state/... ./ledger/storage/... ./runtime/internal/overlay/...

## ethers: best effort — with npm present, install ethers.js and @ethereumjs/mpt
## so the EIP-712 vectors and the state, transaction and receipt proofs are also
## checked by independent JavaScript implementations (skipped otherwise)
ethers:
	@if command -v npm >/dev/null 2>&1 && mkdir -p $(BUILD)/ethers; then \
		cd $(BUILD)/ethers || exit 0; \
		[ -f package.json ] || npm init -y >/dev/null 2>&1; \
		[ -d node_modules/ethers ] || npm install --no-audit --no-fund --silent ethers@6 >/dev/null 2>&1 || \
			echo "ethers.js not installed: the ethers cross-check will be skipped"; \
		[ -d node_modules/@ethereumjs/mpt ] || \
			npm install --no-audit --no-fund --silent @ethereumjs/mpt@10 @ethereumjs/util@10 @ethereumjs/rlp@10 >/dev/null 2>&1 || \
			echo "@ethereumjs/mpt not installed: the JavaScript proof check will be skipped"; \
	fi; true

## browser: best effort — install Debian's Chromium so the explorer's tests
## (node/explorer/browsertest) run in a real headless browser; without one
## they skip, saying why. A browser named by MESHLEDGER_CHROMIUM or on PATH
## is used as it is; the package lists are refreshed only if the install
## fails without them (a fresh image), for at most two minutes.
BROWSER_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1
browser:
	@if [ -n "$$MESHLEDGER_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || \
		command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		$(BROWSER_INSTALL) || { timeout 120 apt-get update >/dev/null 2>&1 && $(BROWSER_INSTALL); } || \
			echo "chromium not installed: the explorer's browser tests will be skipped"; \
	else echo "chromium not installed (needs apt-get as root): the explorer's browser tests will be skipped"; fi

## race: the concurrent packages under the race detector
race:
	$(GO) test -count=1 -race -timeout $(TEST_TIMEOUT) $(RACE_PKGS)

## bench: every benchmark, 5 runs each, into $(BUILD)/bench.txt (compare with benchstat)
bench: contracts
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m ./... | tee $(BUILD)/bench.txt

## bench-audit: audit a 1,000,000-tx chain (1,000 blocks of 1,000 loan payments) served by a node on 127.0.0.1
bench-audit: contracts
	MESHLEDGER_BENCH_AUDIT_BLOCKS=1000 $(GO) test -run '^$$' -bench BenchmarkAuditLoanPayments -benchtime 1x -timeout 60m ./cmd/meshledger/

## bench-scale: state commit and block apply at 10k, 1M and 10M keys; the
## 10M-key store is built once per run in a temp dir (tens of minutes)
bench-scale: contracts
	MESHLEDGER_BENCH_10M=1 $(GO) test -run '^$$' -bench 'CommitBlock|Scale' -benchtime 20x -timeout 180m \
		./ledger/state/ ./ledger/ | tee $(BUILD)/bench-scale.txt

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BUILD)
