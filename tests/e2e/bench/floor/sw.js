// The benchmark's floor (src/lib.rs): the peer's ring path in Rust. As in
// Ringback's worker, the session's read and the wasm's fetch start in the
// first turn; the rest waits for the module.
import init, { start } from './floor/ringback_bench_floor.js';

const session = chrome.storage.local.get('peer');
const wasm = fetch(new URL('./floor/ringback_bench_floor_bg.wasm', import.meta.url));
const ready = Promise.all([init({ module_or_path: wasm }), session])
  .then(([, { peer }]) => peer && start(peer.server, peer.token));

// Any message wakes this worker; there is nothing to answer.
chrome.runtime.onMessage.addListener(() => {
  ready.catch(() => {});
});
