// Injected into the CRM tab by the worker (chrome.scripting), never declared
// in the manifest. It is plain JavaScript because wasm in a content script is
// compiled under the *page's* CSP, which CRMs set to forbid it. It only adds a
// shadow-root host holding an iframe of the extension's panel.html: the panel
// (Rust/Yew) runs inside that iframe under the extension's own CSP, on the
// extension's origin, so the CRM page can neither read it nor reach the token.
(() => {
  const HOST_ID = 'ringback-dialer-everywhere';
  if (document.getElementById(HOST_ID)) return;

  const host = document.createElement('div');
  host.id = HOST_ID;
  const root = host.attachShadow({ mode: 'closed' });

  const style = document.createElement('style');
  style.textContent = `
    :host { all: initial; position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; }
    .frame { width: 360px; height: 600px; max-height: calc(100vh - 32px); border: 0;
             border-radius: 12px; box-shadow: 0 8px 32px rgba(0,0,0,.28); background: #fff; display: block; }
    .close { position: absolute; top: 8px; right: 8px; width: 28px; height: 28px; border: 0;
             border-radius: 14px; background: rgba(0,0,0,.06); cursor: pointer; font: 16px/28px system-ui; }
  `;
  const frame = document.createElement('iframe');
  frame.className = 'frame';
  frame.title = 'Ringback Dialer Everywhere';
  frame.allow = 'microphone';
  frame.src = chrome.runtime.getURL('panel.html');

  const close = document.createElement('button');
  close.className = 'close';
  close.title = 'Hide the dialer (the call goes on)';
  close.textContent = '×';
  close.addEventListener('click', () => host.remove());

  root.append(style, frame, close);
  document.documentElement.append(host);
})();
