#!/usr/bin/env bash
# Builds the benchmark's floor into target/bench-floor, an unpacked extension
# with Ringback's manifest key (so the server accepts its Origin). Called by
# `make bench`, after `make extension` has installed wasm-bindgen and wasm-opt.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../../.. && pwd)
OUT=$ROOT/target/bench-floor

cargo build --quiet --release --target wasm32-unknown-unknown --target-dir "$ROOT/target/bench-floor-build"
rm -rf "$OUT"
mkdir -p "$OUT"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$OUT/floor" "$ROOT/target/bench-floor-build/wasm32-unknown-unknown/release/ringback_bench_floor.wasm"
wasm="$OUT/floor/ringback_bench_floor_bg.wasm"
# The flags extension/build.sh gives the extension's modules.
"$ROOT/extension/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals -o "$wasm" "$wasm"
key=$(tr -d '\n' < "$ROOT/static/manifest-key.pub")
sed "s|@MANIFEST_KEY@|$key|" manifest.json > "$OUT/manifest.json"
cp sw.js "$OUT/"
cp "$ROOT/static/icons/icon-128.png" "$OUT/"
echo "==> the benchmark's floor: $(stat -c %s "$wasm") bytes of wasm, in $OUT"
