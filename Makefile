# Ringback entry points. Each target installs what it needs.
#   make run        build the extension, start the server with demo data
#   make call       a test call from FROM (default +14155550111, Ada) to the server make run started
#   make prospect   sipp answering the calls the rep places (make run TRUNK_URI=sip:127.0.0.1:5070)
#   make test       lint, wasm check, Rust tests (the store's on SQLite and PostgreSQL), then the extension's end-to-end tests
#   make extension  build the unpacked extension into target/extension
#   make bench      signalling (memory per socket, ring latency), call audio, SIP setups and bridged calls, notification latency
#   make screenshots  the real pages with demo data, as PNGs in docs/screenshots
#   make lint       rustfmt and clippy
#   make fuzz       the outside-input parsers under property tests, FUZZ_SECS (60) each

SHELL := /bin/bash
CARGO ?= cargo
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data

.PHONY: call prospect fuzz run test rust-test e2e e2e-deps screenshots lint wasm-check bench toolchain extension wasm-bindgen-cli chromium sipp nats-server nginx

# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
CHROMIUM ?= /usr/lib/chromium/chromium

# A CI run builds once from scratch: incremental caches would only fill its disk.
ifdef CI
export CARGO_INCREMENTAL := 0
endif

## Rust components and targets the build uses (rustup is the machine's toolchain manager).
toolchain:
	@rustup component add rustfmt clippy >/dev/null 2>&1 || true
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || { echo "installing the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; }

wasm-bindgen-cli:
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 3 minutes, once)"; \
	  $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

## The unpacked extension, ready for chrome://extensions → Load unpacked.
extension: toolchain wasm-bindgen-cli
	@[ -x extension/node_modules/.bin/wasm-opt ] || { echo "installing wasm-opt (npm binaryen)"; cd extension && npm ci --no-audit --no-fund; }
	./extension/build.sh

## Debian's Chromium for the end-to-end tests (never a browser download).
chromium:
	@[ -x $(CHROMIUM) ] || { echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## sipp plays the carrier and the forwarding phone in the SIP tests (Debian's sip-tester).
sipp:
	@command -v sipp >/dev/null || { echo "installing sipp (Debian's sip-tester)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester >/dev/null; }

## The two-instance tests start their own nats-server (Debian's nats-server).
nats-server:
	@command -v nats-server >/dev/null || { echo "installing Debian's nats-server"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null; }

## The scale-out end-to-end test puts Debian's nginx in front of two instances.
nginx:
	@[ -x /usr/sbin/nginx ] || { echo "installing Debian's nginx"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

run: toolchain extension
	$(CARGO) build -p ringback-server --bin ringback
	@echo
	@echo "Load the extension: open chrome://extensions, turn on Developer mode, press 'Load unpacked'"
	@echo "and choose $(CURDIR)/target/extension. Its options page opens: server http://$(LISTEN),"
	@echo "sign in as rep@demo.ringback.test / ringback-demo, press 'Enable microphone' and allow it when Chrome asks."
	@echo "Then, in another terminal, place a test call from Ada Lovelace:"
	@echo "  make call        (the same as ./target/debug/ringback call --from +14155550111 --server http://$(LISTEN))"
	@echo "Accept opens her Contact page in the demo CRM (http://$(LISTEN)/demo-crm, any name signs in)"
	@echo "with the Dialer beside it. The Calls page, Person profiles and settings are at http://$(LISTEN)."
	@echo
	@echo "Starting Ringback with demo data (Ctrl-C stops it; data lives in $(DATA_DIR))."
	./target/debug/ringback serve --demo --listen $(LISTEN) --data-dir $(DATA_DIR) $(if $(TRUNK_URI),--trunk-uri $(TRUNK_URI))

## Where the calls the rep places go (empty: Ringback places none). With
## TRUNK_URI=sip:127.0.0.1:5070, `make prospect` answers them.
TRUNK_URI ?=
PROSPECT_PORT ?= 5070

## sipp as the prospect the rep dials: rings 2 s, answers, and sends back
## what it hears (the rep hears their own voice), until the rep hangs up; call
## after call, until Ctrl-C.
prospect: sipp
	@echo "Answering calls on 127.0.0.1:$(PROSPECT_PORT) (start Ringback with: make run TRUNK_URI=sip:127.0.0.1:$(PROSPECT_PORT))"
	sipp -sf tests/sipp/phone-answers.xml -i 127.0.0.1 -p $(PROSPECT_PORT) -rtp_echo -d 2000 -nostdin

## A test call to the server `make run` started, as the carrier would place it:
## FROM is the caller (default Ada Lovelace, from the demo data).
FROM ?= +14155550111
call:
	@[ -x target/debug/ringback ] || $(CARGO) build -p ringback-server --bin ringback
	./target/debug/ringback call --from $(FROM) --server http://$(LISTEN)

lint: toolchain
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The wire types and call rules also compile for the extension's wasm target.
wasm-check: toolchain
	$(CARGO) check -p ringback-protocol -p ringback-calls -p ringback-chrome --target wasm32-unknown-unknown

## Ends with one line totalling every Rust test binary's and the e2e suite's results.
test: lint wasm-check rust-test e2e
	@awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($$(i+1) ~ /^passed/) p += $$i; if ($$(i+1) ~ /^failed/) f += $$i } } \
	  /^# pass / { p += $$3 } /^# fail / { f += $$3 } \
	  END { printf "tests: %d passed, %d failed\n", p, f }' target/test-output.txt target/e2e-output.txt

## The store's tests run on SQLite and on a throwaway PostgreSQL 15 (Debian's,
## installed if missing) that tests/postgres/with-postgres.sh starts and removes;
## the two-instance tests (crates/server/tests/cluster.rs) share it, with a nats-server of their own.
rust-test: toolchain sipp nats-server
	mkdir -p target && set -o pipefail && \
	  tests/postgres/with-postgres.sh $(CARGO) test --workspace 2>&1 | tee target/test-output.txt

## What the end-to-end tests and the notification benchmark run: the extension,
## the server binary, Chromium and Playwright. The binary is built as `cargo test
## --workspace` builds it (same features), so after rust-test this reuses every
## artifact instead of compiling a second set (CI's disk once ran out on that).
e2e-deps: extension chromium sipp
	$(CARGO) test --workspace --no-run
	@[ -d tests/e2e/node_modules/playwright-core ] || { cd tests/e2e && npm ci --no-audit --no-fund; }

## The built extension in real (headless) Chromium against the real server binary;
## the scale-out test adds a throwaway PostgreSQL, a nats-server and nginx.
e2e: e2e-deps nats-server nginx
	set -o pipefail && cd tests/e2e && \
	  ../postgres/with-postgres.sh node --test --test-concurrency=1 2>&1 | tee ../../target/e2e-output.txt

## The README's pictures: the real pages with demo data, rendered by headless Chromium.
screenshots: e2e-deps
	cd tests/e2e && node screenshots.mjs

## The parsers that take outside input, fuzzed with property tests for
## FUZZ_SECS seconds each (make test runs a few hundred cases of each).
FUZZ_SECS ?= 60
fuzz: toolchain sipp
	FUZZ_SECS=$(FUZZ_SECS) $(CARGO) test -p ringback-server --test fuzz -- --nocapture --test-threads=1

## 10,000 sockets need 20,000 descriptors across the client and the server.
bench: toolchain e2e-deps sipp nats-server
	ulimit -n $$(ulimit -Hn) && $(CARGO) bench -p ringback-server --bench signalling
	$(CARGO) bench -p ringback-media --bench media
	$(CARGO) bench -p ringback-server --bench sip
	ulimit -n $$(ulimit -Hn) && tests/postgres/with-postgres.sh $(CARGO) bench -p ringback-server --bench cluster
	$(CARGO) build --release -p ringback-server --bin ringback
	cd tests/e2e && RINGBACK_BIN=$(CURDIR)/target/release/ringback node bench/cold-start.mjs
	cd tests/e2e && RINGBACK_BIN=$(CURDIR)/target/release/ringback LATENCY_MS=10 node bench/cold-start.mjs
	tests/e2e/bench/floor/build.sh
	cd tests/e2e && RINGBACK_BIN=$(CURDIR)/target/release/ringback CONTESTANT=floor node bench/cold-start.mjs
	cd tests/e2e && RINGBACK_BIN=$(CURDIR)/target/release/ringback node bench/pages-latency.mjs
	cd tests/e2e && RINGBACK_BIN=$(CURDIR)/target/release/ringback node bench/ringtone-stop.mjs
