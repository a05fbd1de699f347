// Entry for the offscreen document (ringtone, call audio); behaviour lives in crates/extension-offscreen.
import init, { start } from './offscreen/ringback_offscreen.js';

await init({ module_or_path: new URL('./offscreen/ringback_offscreen_bg.wasm', import.meta.url) });
await start();
