// The benchmark's floor (src/lib.rs). As in Ringback's worker, everything
// the ring needs starts in the first turn while the wasm loads: the
// session's read, then the peer's ticket and socket (with Hello), whose
// frames are kept until the Rust side takes the socket over.
import init, { adopt } from './floor/ringback_bench_floor.js';

const wasm = fetch(new URL('./floor/ringback_bench_floor_bg.wasm', import.meta.url));
const early = chrome.storage.local.get('peer').then(async ({ peer }) => {
  if (!peer) return null;
  const response = await fetch(`${peer.server}/api/v1/ws-tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${peer.token}` },
  });
  const { ticket } = await response.json();
  const socket = new WebSocket(`${peer.server.replace(/^http/, 'ws')}/api/v1/signal`, ['ringback.v1', `ticket.${ticket}`]);
  socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', id: 'hello', device_id: 'floor' }));
  const heard = [];
  socket.onmessage = ({ data }) => heard.push(data);
  return { socket, heard };
});
const ready = Promise.all([init({ module_or_path: wasm }), early])
  .then(([, connection]) => connection && adopt(connection.socket, connection.heard));

// Any message wakes this worker; there is nothing to answer.
chrome.runtime.onMessage.addListener(() => {
  ready.catch(() => {});
});
