# photon-bench — every target installs what it needs first (npm ci, build).
SHELL := bash
BIN := node_modules/.bin
SOURCES := $(shell find agent hal sim config bench -name '*.ts' 2>/dev/null)
# The web view's page: plain files, copied beside the built code (no build step of their own).
WEB_ASSETS := $(shell find agent/web/public -type f 2>/dev/null)
CONFIG ?= config/examples/sim-bench.yaml

.PHONY: setup build run test chaos bench bench-alignment check clean package

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup: node_modules/.installed

dist/.built: node_modules/.installed $(SOURCES) $(WEB_ASSETS) tsconfig.json tsconfig.build.json
	$(BIN)/tsc -p tsconfig.build.json
	rm -rf dist/agent/web/public && cp -r agent/web/public dist/agent/web/public
	@touch $@

build: dist/.built

## make run — the agent on the simulated bench with the embedded broker (ARGS="--broker mqtt://host:port" to use another).
run: build
	node dist/agent/cli.js run --config $(CONFIG) --state-dir state $(ARGS)

## make test — the whole suite; also writes test-results/vitest.json for CI.
test: build
	@mkdir -p test-results
	$(BIN)/vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json

## make chaos — every chaos scenario (test/chaos) on the sim with a real Mosquitto: one JSON line each, then a summary.
chaos: build
	@mkdir -p test-results && rm -f test-results/chaos.jsonl
	@CHAOS=full CHAOS_REPORT=test-results/chaos.jsonl REQUIRE_MOSQUITTO=1 $(BIN)/vitest run test/chaos --reporter=dot; \
	  status=$$?; node test/chaos/summary.mjs test-results/chaos.jsonl || status=1; exit $$status

## make bench — performance benchmarks, JSON lines on stdout.
bench: build
	@for b in dist/bench/*.js; do case "$$b" in *alignment*) ;; *) node "$$b";; esac; done

## make bench-alignment — alignment scenarios on the sim, both signals (ARGS="--seed 2 --drift-um-per-s 0.1").
bench-alignment: build
	node dist/bench/alignment.js $(ARGS)
	node dist/bench/alignment.js --signal counts --peak-cps 50000 $(ARGS)

## make package — a versioned release tarball (dist-package/photon-bench-<version>.tar.gz) for systemd/install.sh.
package: build
	@bash systemd/package.sh

## make check — strict type check and lint/format check.
check: setup
	$(BIN)/tsc --noEmit
	$(BIN)/biome check .

clean:
	rm -rf dist test-results dist-package
