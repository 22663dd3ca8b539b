# natpass: the two commands a fresh machine needs are `make run` and `make test`.
# Each target installs what it needs (npm packages, Debian packages) before it uses it.
# Subsystems keep their own rules in an included .mk beside their sources.

SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.installed
WASM := build/natpass.wasm
AS_SOURCES := $(shell find assembly -name '*.ts' 2>/dev/null)
# Debian packages the tests need (board/ and test/lab/ add theirs). `make run` needs none of them: only
# Node (package.json "engines") and the npm packages, so it installs nothing with apt and needs no root.
# test/ports.test.ts drives iproute2 and ethtool (TSO/GSO on a veth in a namespace).
APT_PACKAGES := tshark wabt iproute2 ethtool

.PHONY: help deps apt build run test test-v8 typecheck schema layout clean

# vitest runs test files on one worker fewer than the machine has cores, so one worker on a 2-core CI
# machine: every file after the other. The board files are CPU-bound emulators (rp2040js in the worker,
# QEMU beside it); one worker per core halves the V8 pass there (427 s -> 227 s, 2026-12-04).
VITEST := npx vitest run --testTimeout=30000 --maxWorkers=100%

# Subsystem rules (wasm3, board, lab) add themselves to TEST_TARGETS and APT_PACKAGES here.
TEST_TARGETS :=
-include host/host.mk board/board.mk test/lab/lab.mk

help:
	@echo "make run    start the emulated router on its default config and demo network"
	@echo "make test   install everything needed, build, run the whole test suite"
	@echo "make build  compile assembly/ to $(WASM)"
	@echo "make bench  packets-per-second on every engine (not part of make test)"

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NPM_STAMP) apt

# Debian packages the tests use; installed only when missing (CI and fresh machines run as root).
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" != 0 ]; then \
	  echo "make: the tests need these Debian packages:$$missing; install them as root (or run make as root)"; exit 1; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(WASM): $(AS_SOURCES) asconfig.json host/pack-data.ts $(NPM_STAMP)
	npx asc assembly/index.ts --target release
	node --import tsx host/pack-data.ts $@

build: $(WASM)

# The demo: npm packages and the module, nothing from apt.
run: $(NPM_STAMP) build
	node --import tsx host/cli.ts demo

typecheck: $(NPM_STAMP)
	npx tsc -p tsconfig.json

# host/natpass.schema.json from host/config-schema.ts (test/config.test.ts fails while it is stale).
schema: $(NPM_STAMP)
	node --import tsx host/gen-schema.ts --write

# assembly/generated/*.ts and board/common/layout.generated.h from host/layout.ts, the one description of
# the config record, the counters and the ring slots (test/layout.test.ts fails while they are stale).
layout: $(NPM_STAMP)
	node --import tsx host/gen-layout.ts --write

test-v8: deps build $(BOARD_TEST_DEPS) $(TAP_ADDON) $(WASM3_ADDON)
	NATPASS_ENGINE=v8 $(VITEST)

test: typecheck test-v8 $(TEST_TARGETS)

clean:
	rm -rf build

