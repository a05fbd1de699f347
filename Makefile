# Ringback entry points. Each target installs what it needs.
#   make run    build and start the server with demo data
#   make test   lint, check the wasm build of the shared crates, run every test
#   make bench  signalling benchmark (memory per socket, ring latency)
#   make lint   rustfmt and clippy

SHELL := /bin/bash
CARGO ?= cargo
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data

.PHONY: run test lint wasm-check bench toolchain

## Rust components and targets the build uses (rustup is the machine's toolchain manager).
toolchain:
	@rustup component add rustfmt clippy >/dev/null 2>&1 || true
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || { echo "installing the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; }

run: toolchain
	$(CARGO) build -p ringback-server --bin ringback
	@echo "Starting Ringback with demo data (Ctrl-C stops it; data lives in $(DATA_DIR))."
	./target/debug/ringback serve --demo --listen $(LISTEN) --data-dir $(DATA_DIR)

lint: toolchain
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The wire types and call rules also compile for the extension's wasm target.
wasm-check: toolchain
	$(CARGO) check -p ringback-protocol -p ringback-calls --target wasm32-unknown-unknown

## Ends with one line totalling every test binary's results.
test: lint wasm-check
	mkdir -p target && set -o pipefail && $(CARGO) test --workspace 2>&1 | tee target/test-output.txt
	@awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($$(i+1) ~ /^passed/) p += $$i; if ($$(i+1) ~ /^failed/) f += $$i } } \
	  END { printf "tests: %d passed, %d failed\n", p, f }' target/test-output.txt

## 10,000 sockets need 20,000 descriptors across the client and the server.
bench: toolchain
	ulimit -n $$(ulimit -Hn) && $(CARGO) bench -p ringback-server --bench signalling
