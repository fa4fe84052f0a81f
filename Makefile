# ispacct - make help lists the targets.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

BIN        := bin/ispacct
STATE      := $(CURDIR)/.state
TEST_STATE := $(STATE)/test
SAMPLE     := fixtures/sample.toml
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
PGO        := cmd/ispacct/default.pgo
FUZZTIME   ?= 3s

.PHONY: help deps test-deps build run test test-go test-vlanvm fuzz-smoke fuzz lint bench pgo screenshots clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## install what ispacct needs to run (PostgreSQL's server) when missing
	@schema/install-deps.sh postgres

test-deps: deps ## also install the real servers and readers the tests use
	@fixtures/install-test-deps.sh mail conformance libreoffice openpyxl systemd chromium

build: ## build bin/ispacct
	go build -o $(BIN) ./cmd/ispacct

# The commands log warnings only, so the terminal shows what the README's
# quick start shows; a real run logs every step (log.level).
RUNFLAGS   := --config $(SAMPLE) --log-level warn

run: deps build ## start the private database, ingest the sample logs, write the archives
	@$(BIN) db start $(RUNFLAGS)
	@$(BIN) landefs import fixtures/landefs.txt $(RUNFLAGS)
	@$(BIN) ingest $(RUNFLAGS)
	@$(BIN) rollup $(RUNFLAGS)
	@$(BIN) report $(RUNFLAGS) --from 2026-11-20 --to 2026-11-21
	@echo
	@echo "Archives are in $(CURDIR)/out:"
	@ls -l out/*.zip
	@echo "Stop the private database with: $(BIN) db stop --config $(SAMPLE)"

test: test-deps build ## vet and all tests against a real PostgreSQL, mail servers, LibreOffice and kernel
	go vet ./...
	@rc=0; ISPACCT_TEST_STATE=$(TEST_STATE) $(MAKE) --no-print-directory test-go || rc=$$?; \
	  ISPACCT_STATE_DIR=$(TEST_STATE) $(BIN) db stop >/dev/null 2>&1; exit $$rc

# Tests are built with the profile, as the binary is: inlining it guides
# changes what escapes to the heap, which the no-allocation tests check.
test-go:
	go test -count=1 -pgo=$(PGO) ./...
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory test-vlanvm

test-vlanvm: ## netsetup on a real kernel: Debian's kernel in QEMU (needs root)
	@if [ "$$(id -u)" -eq 0 ]; then bash netsetup/vmtest/run.sh; \
	elif [ "$$CI" = true ]; then echo "test-vlanvm: CI must run as root"; exit 1; \
	else echo "test-vlanvm: skipped: needs root to install QEMU (run: sudo make test-vlanvm)"; fi

fuzz-smoke: ## run every fuzz target briefly (FUZZTIME, default 3s)
	@fixtures/fuzz.sh $(FUZZTIME)

fuzz: ## run every fuzz target for a minute each
	@$(MAKE) --no-print-directory fuzz-smoke FUZZTIME=60s

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	go vet ./...
	go run $(STATICCHECK) ./...

bench: deps build ## benchmarks with ratios against floors and peers measured in the same run (BENCHFLAGS=-parse-only, -chains-only)
	@fixtures/install-test-deps.sh peers
	go run -pgo=$(PGO) ./fixtures/bench -bin $(BIN) $(BENCHFLAGS)

# go build optimises cmd/ispacct by $(PGO), a CPU profile of the parsers
# on generated logs; the bench above is built with it too.
pgo: ## refresh the CPU profile the compiler optimises the parsers by
	@mkdir -p $(STATE)
	cd parsers && go test -run '^$$' -bench '^BenchmarkFile' -benchtime 40x \
	  -cpuprofile $(STATE)/parsers.pprof -o $(STATE)/parsers.test .
	cp $(STATE)/parsers.pprof $(PGO)

# The README shows the web page as the browser test sees it; pngquant,
# when present, makes the PNGs a quarter of their size.
screenshots: deps ## refresh docs/web-*.png from the browser test (headless Chromium)
	@fixtures/install-test-deps.sh chromium
	ISPACCT_SCREENSHOTS=1 ISPACCT_TEST_STATE=$(TEST_STATE) go test -count=1 -run '^TestInBrowser$$' ./web/
	@if command -v pngquant >/dev/null; then pngquant --force --skip-if-larger --speed 1 --quality 60-90 --ext .png docs/web-*.png; fi
	@ls -l docs/web-*.png

clean: ## stop the private database and remove build output, state and archives
	-@$(BIN) db stop --config $(SAMPLE) 2>/dev/null
	-@ISPACCT_STATE_DIR=$(TEST_STATE) $(BIN) db stop 2>/dev/null
	rm -rf bin out .state
