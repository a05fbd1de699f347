// Two Ringback instances behind Debian's nginx (TLS, WebSocket upgrade, no
// stickiness), on one PostgreSQL database and one nats-server, all on
// 127.0.0.1: what a team that outgrows one machine runs. PostgreSQL is the
// throwaway cluster of tests/postgres/with-postgres.sh (`make e2e` runs the
// suite under it), named by RINGBACK_TEST_POSTGRES_URL; the test makes a
// database of its own there.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, until } from './harness.mjs';

const NGINX = '/usr/sbin/nginx';
const POSTGRES_URL = process.env.RINGBACK_TEST_POSTGRES_URL;

/**
 * What is missing to run the cluster, as a sentence (or null). Under
 * CI=true nothing may be missing: the caller fails rather than skips.
 */
export function clusterMissing() {
  const missing = [];
  if (!POSTGRES_URL) missing.push('RINGBACK_TEST_POSTGRES_URL (run under tests/postgres/with-postgres.sh, as make e2e does)');
  if (spawnSync('nats-server', ['--version']).status !== 0) missing.push('nats-server (apt-get install nats-server)');
  if (!existsSync(NGINX)) missing.push('nginx (apt-get install nginx-light)');
  if (spawnSync('psql', ['--version']).status !== 0) missing.push('psql (apt-get install postgresql-client)');
  return missing.length ? `missing: ${missing.join('; ')}` : null;
}

/** A fresh, empty database on the test PostgreSQL; its URL. */
function freshDatabase() {
  const name = `ringback_e2e_${process.pid}_${Date.now()}`;
  const made = spawnSync('psql', [POSTGRES_URL, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`creating the test database failed: ${made.stderr}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => spawnSync('psql', [POSTGRES_URL, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

function listening(port) {
  return new Promise((ok) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      ok(true);
    });
    socket.once('error', () => ok(false));
  });
}

async function startNats() {
  const port = await freePort();
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await until(`nats-server on ${port}`, () => listening(port));
  return { url: `nats://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/**
 * nginx in front of `upstreams` (host:port), on https://127.0.0.1:<port>
 * with a self-signed certificate; the configuration is
 * tests/e2e/nginx.conf, the one the README shows.
 */
async function startNginx(upstreams) {
  const dir = mkdtempSync(join(tmpdir(), 'ringback-nginx-'));
  const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  if (cert.status !== 0) throw new Error(`openssl could not make a certificate: ${cert.stderr}`);
  const port = await freePort();
  const template = readFileSync(join(import.meta.dirname, 'nginx.conf'), 'utf8');
  const conf = template
    .replaceAll('@DIR@', dir)
    .replaceAll('@LISTEN@', `127.0.0.1:${port}`)
    .replaceAll('@UPSTREAMS@', upstreams.map((u) => `server ${u} max_fails=1 fail_timeout=30s;`).join('\n        '))
    // nginx run as root would hand its workers to nobody, who cannot use this directory.
    .replaceAll('@USER@', process.getuid?.() === 0 ? 'user root;' : '');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const log = [];
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const errors = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  await until(`nginx on ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${log.join('')}${errors()}`);
    return listening(port);
  });
  return {
    url: `https://127.0.0.1:${port}`,
    errors,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The cluster: instances `a` and `b` (each a harness server, its own SIP
 * port, one shared data directory), `nginx` in front of both, and `url`,
 * nginx's address, for the extension. `holder()` says which instance holds
 * the rep's sockets; `other(x)` is the instance that is not `x`.
 */
export async function startCluster() {
  const database = freshDatabase();
  const nats = await startNats();
  const dataDir = mkdtempSync(join(tmpdir(), 'ringback-cluster-'));
  const instance = (name) =>
    startServer({
      dataDir,
      extraArgs: ['--database-url', database.url, '--nats-url', nats.url, '--instance-id', name, '--trusted-proxy', '127.0.0.1'],
    });
  // One after the other: the second finds the demo data the first seeded.
  const a = await instance('a');
  const b = await instance('b');
  a.name = 'a';
  b.name = 'b';
  const nginx = await startNginx([a.url, b.url].map((u) => new URL(u).host));
  const cluster = { a, b, nginx, url: nginx.url, database };
  cluster.other = (x) => (x === a ? b : a);
  /** The instance holding the rep's one socket, once exactly one does. */
  cluster.holder = () =>
    until('the extension to hold one socket, on one instance', async () => {
      const counts = await Promise.all([a, b].map((s) => (s.process?.exitCode === null ? s.sockets() : 0)));
      const total = counts.reduce((x, y) => x + y, 0);
      return total === 1 ? (counts[0] === 1 ? a : b) : null;
    });
  cluster.stop = async () => {
    await nginx.stop();
    for (const server of [a, b]) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    nats.stop();
    database.drop();
  };
  return cluster;
}

/** Kills an instance as a crash would: SIGKILL, no shutdown of its own. */
export async function kill(server) {
  const child = server.process;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGKILL');
  await exited;
}
