// Injected into the CRM tab by the worker (chrome.scripting), never declared
// in the manifest. It is plain JavaScript because wasm in a content script is
// compiled under the *page's* CSP, which CRMs set to forbid it. It only adds a
// shadow-root host holding an iframe of the extension's panel.html: the panel
// (Rust/Yew) runs inside that iframe under the extension's own CSP, on the
// extension's origin, so the CRM page can neither read it nor reach the token.
//
// The panel must never hide the record: a bar above it moves it (drag, or the
// arrow keys on the bar) and collapses it to the bar alone. Collapsing only
// hides the iframe, so the call, the notes typed and the panel's state stay.
// Where it sits and whether it is collapsed is remembered per CRM origin, in
// the page's own localStorage (chrome.storage is kept from content scripts,
// because the session token is there); it holds nothing but that, and what is
// read back is clamped into the window.
(() => {
  const HOST_ID = 'ringback-dialer-everywhere';
  const LAYOUT_KEY = 'ringback.panel-layout';
  const BAR = 32;
  const MARGIN = 16;
  // A tel: link the rep clicks on this page dials it with Ringback (the
  // worker takes it only from a tab it put the panel into). Once per page,
  // however often the panel is put back; a click the page's own scripts
  // made up (not isTrusted) is left alone, as is one with a modifier.
  if (!globalThis.ringbackTelLinks) {
    globalThis.ringbackTelLinks = true;
    document.addEventListener('click', (event) => {
      if (!event.isTrusted || event.defaultPrevented || event.button !== 0
        || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
      const href = link?.getAttribute('href') ?? '';
      if (!/^tel:/i.test(href)) return;
      event.preventDefault();
      let number = href.slice(4);
      try { number = decodeURIComponent(number); } catch { /* as written */ }
      chrome.runtime.sendMessage({ to: 'worker', body: { dial: { number } } });
    }, true);
  }
  if (document.getElementById(HOST_ID)) return;

  const host = document.createElement('div');
  host.id = HOST_ID;
  const root = host.attachShadow({ mode: 'closed' });

  const style = document.createElement('style');
  style.textContent = `
    :host { all: initial; position: fixed; z-index: 2147483647; width: 360px; }
    .box { border-radius: 12px; box-shadow: 0 8px 32px rgba(0,0,0,.28); background: #fff; overflow: hidden; }
    .bar { display: flex; align-items: center; gap: 4px; height: ${BAR}px; padding: 0 4px 0 10px; cursor: move;
           background: #0b7a75; color: #fff; font: 600 13px/1 system-ui, sans-serif; user-select: none; }
    .bar:focus-visible { outline: 3px solid #ffd33d; outline-offset: -3px; }
    .bar .title { flex: 1; }
    .bar button { width: 28px; height: 28px; border: 0; border-radius: 14px; background: rgba(255,255,255,.16);
                  color: #fff; cursor: pointer; font: 16px/28px system-ui, sans-serif; padding: 0; }
    .bar button:focus-visible { outline: 2px solid #fff; }
    .frame { width: 360px; height: 568px; max-height: calc(100vh - ${2 * MARGIN + BAR}px); border: 0; display: block; }
    :host([data-collapsed="true"]) .frame { display: none; }
  `;
  const box = document.createElement('div');
  box.className = 'box';

  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.tabIndex = 0;
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', 'Ringback dialer: drag, or use the arrow keys, to move it');
  const title = document.createElement('span');
  title.className = 'title';
  title.textContent = 'Ringback';
  const collapse = document.createElement('button');
  collapse.className = 'collapse';
  const close = document.createElement('button');
  close.className = 'close';
  close.title = 'Hide the dialer (the call goes on)';
  close.setAttribute('aria-label', close.title);
  close.textContent = '×';
  bar.append(title, collapse, close);

  const frame = document.createElement('iframe');
  frame.className = 'frame';
  frame.title = 'Ringback Dialer Everywhere';
  frame.allow = 'microphone';
  frame.src = chrome.runtime.getURL('panel.html');

  box.append(bar, frame);
  root.append(style, box);

  // Where it is: left/top of the host in the window, or the bottom-right corner.
  const layout = { left: null, top: null, collapsed: false };
  try {
    const saved = JSON.parse(localStorage.getItem(LAYOUT_KEY) ?? 'null');
    if (saved && typeof saved === 'object') {
      if (Number.isFinite(saved.left) && Number.isFinite(saved.top)) Object.assign(layout, { left: saved.left, top: saved.top });
      layout.collapsed = saved.collapsed === true;
    }
  } catch {
    // Unreadable (or storage refused): the default place.
  }
  const save = () => {
    try {
      localStorage.setItem(LAYOUT_KEY, JSON.stringify(layout));
    } catch {
      // The page's storage is full or refused: the layout is not kept.
    }
  };
  const place = () => {
    const rect = host.getBoundingClientRect();
    const width = rect.width || 360;
    const height = rect.height || BAR;
    if (layout.left === null) {
      host.style.left = `${Math.max(0, innerWidth - width - MARGIN)}px`;
      host.style.top = `${Math.max(0, innerHeight - height - MARGIN)}px`;
      return;
    }
    // Never off screen: the whole panel in the window when it fits (so a
    // bar opened near the bottom grows upwards), else its top at the top.
    layout.left = Math.min(Math.max(0, layout.left), Math.max(0, innerWidth - width));
    layout.top = Math.min(Math.max(0, layout.top), Math.max(0, innerHeight - height));
    host.style.left = `${layout.left}px`;
    host.style.top = `${layout.top}px`;
  };
  const showCollapsed = () => {
    host.dataset.collapsed = String(layout.collapsed);
    collapse.textContent = layout.collapsed ? '▢' : '–';
    collapse.title = layout.collapsed ? 'Show the dialer' : 'Collapse the dialer to this bar';
    collapse.setAttribute('aria-label', collapse.title);
    collapse.setAttribute('aria-expanded', String(!layout.collapsed));
  };
  const moveTo = (left, top) => {
    layout.left = left;
    layout.top = top;
    place();
    save();
  };

  collapse.addEventListener('click', () => {
    // Keep the bar where it is on screen (collapsing at the bottom would
    // otherwise leave it floating mid-window with the default place).
    const rect = host.getBoundingClientRect();
    layout.collapsed = !layout.collapsed;
    showCollapsed();
    if (layout.left === null) {
      layout.left = rect.left;
      layout.top = layout.collapsed ? rect.bottom - BAR : rect.top;
    }
    place();
    save();
  });
  close.addEventListener('click', () => host.remove());

  let drag = null;
  bar.addEventListener('pointerdown', (event) => {
    if (event.target !== bar && event.target !== title) return;
    const rect = host.getBoundingClientRect();
    drag = { dx: event.clientX - rect.left, dy: event.clientY - rect.top };
    bar.setPointerCapture(event.pointerId);
  });
  bar.addEventListener('pointermove', (event) => {
    if (!drag) return;
    layout.left = event.clientX - drag.dx;
    layout.top = event.clientY - drag.dy;
    place();
  });
  const endDrag = () => {
    if (!drag) return;
    drag = null;
    save();
  };
  bar.addEventListener('pointerup', endDrag);
  bar.addEventListener('pointercancel', endDrag);
  bar.addEventListener('keydown', (event) => {
    if (event.target !== bar) return;
    const step = event.shiftKey ? 80 : 20;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const rect = host.getBoundingClientRect();
    moveTo(rect.left + move[0], rect.top + move[1]);
  });
  addEventListener('resize', place);

  showCollapsed();
  document.documentElement.append(host);
  place();
})();
