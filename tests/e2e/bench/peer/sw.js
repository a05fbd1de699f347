// The benchmark's peer: a plain-JavaScript worker that does only Ringback's
// ring path, to measure Ringback's Rust worker against (bench/cold-start.mjs).
// Read the session from chrome.storage, take a ticket, open the socket, say
// Hello, and show the notification on incoming_call. Nothing else: no
// reconnect, no state, no panel. It is loaded with Ringback's manifest key
// so the server accepts its Origin.
const ready = connect();

async function connect() {
  const { peer } = await chrome.storage.local.get('peer');
  if (!peer) return;
  const response = await fetch(`${peer.server}/api/v1/ws-tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${peer.token}` },
  });
  const { ticket } = await response.json();
  const socket = new WebSocket(`${peer.server.replace(/^http/, 'ws')}/api/v1/signal`, ['ringback.v1', `ticket.${ticket}`]);
  socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', id: 'hello', device_id: 'peer' }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type !== 'incoming_call') return;
    const person = message.person;
    chrome.notifications.create(`ring:${message.call_id}`, {
      type: 'basic',
      iconUrl: 'icon-128.png',
      title: person.name ?? `Call from ${person.number}`,
      message: [person.title, person.account].filter(Boolean).join(' · ') || person.number,
      buttons: [{ title: 'Accept' }, { title: 'Close' }],
      requireInteraction: true,
    });
  };
  setInterval(() => socket.send(JSON.stringify({ type: 'keepalive', id: `k${Date.now()}` })), 20_000);
}

// Any message wakes this worker; there is nothing to answer.
chrome.runtime.onMessage.addListener(() => {
  ready.catch(() => {});
});
