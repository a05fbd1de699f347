// Entry for panel.html; the page itself is Rust/Yew (crates/extension-panel). It runs
// under the extension's CSP, which allows wasm ('wasm-unsafe-eval') and no inline script.
import init, { start } from './panel/ringback_panel.js';

await init({ module_or_path: new URL('./panel/ringback_panel_bg.wasm', import.meta.url) });
start();
