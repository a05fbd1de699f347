// Entry for the extension's Yew pages. Each HTML page names its Rust entry
// point in <body data-entry="...">; the pages run under the extension's CSP,
// which allows wasm ('wasm-unsafe-eval') and no inline script.
import init, * as pages from './pages/ringback_pages.js';

await init({ module_or_path: new URL('./pages/ringback_pages_bg.wasm', import.meta.url) });
pages[document.body.dataset.entry]();
