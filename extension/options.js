// Entry for options.html; the page itself is Rust/Yew (crates/extension-options). It runs
// under the extension's CSP, which allows wasm ('wasm-unsafe-eval') and no inline script.
import init, { start } from './options/ringback_options.js';

await init({ module_or_path: new URL('./options/ringback_options_bg.wasm', import.meta.url) });
start();
