// Entry for popup.html (the toolbar button); the popup is Rust/Yew, in the
// options page's module (crates/extension-options, start_popup).
import init, { start_popup } from './options/ringback_options.js';

await init({ module_or_path: new URL('./options/ringback_options_bg.wasm', import.meta.url) });
start_popup();
