// How fast the server renders its pages: 1,000 logged calls, then 200
// requests each for the Calls page (50 rows), a filtered and searched Calls
// page, and a Person profile. Measured from this process (HTTP on 127.0.0.1,
// so it includes the request and response), p50/p99. Run by `make bench`.
import { performance } from 'node:perf_hooks';
import { DEMO, startServer } from '../harness.mjs';

const CALLS = Number(process.env.CALLS ?? 1000);
const REQUESTS = 200;

const server = await startServer();
try {
  const token = await server.signIn();
  const choices = await server.api('GET', '/team/choices', { token });
  const numbers = ['+14155550111', '+14155550112', '+14155550113', '+14155550115'];
  for (let i = 0; i < CALLS; i++) {
    await server.loggedCall(numbers[i % numbers.length], token, {
      idempotency_key: `bench-${i}`, notes: `Bench call ${i}: wants a follow-up`, disposition_id: choices.dispositions[i % 5].id,
    });
    if (i % 100 === 99) process.stderr.write(`\rseeded ${i + 1}/${CALLS} calls`);
  }
  process.stderr.write('\n');
  const signIn = await fetch(`${server.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: DEMO.email, password: DEMO.password, next: '/calls' }),
  });
  const cookie = signIn.headers.get('set-cookie').split(';')[0];
  const ada = (await server.api('GET', '/people?q=Ada', { token }))[0];
  const pages = {
    'calls (50 rows)': '/calls',
    'calls filtered': `/calls?disposition=${choices.dispositions[1].id}&q=Grace&from=2020-01-01&to=2099-12-31`,
    'person profile': `/people/${ada.id}`,
  };
  console.log(`page render, ${REQUESTS} requests each over ${CALLS} logged calls (release server, this machine):`);
  for (const [name, path] of Object.entries(pages)) {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      const response = await fetch(`${server.url}${path}`, { headers: { cookie } });
      const body = await response.text();
      times.push(performance.now() - t0);
      if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
      bytes = body.length;
    }
    times.sort((a, b) => a - b);
    const pick = (q) => times[Math.ceil(q * times.length) - 1];
    console.log(`${name.padEnd(16)} p50 ${pick(0.5).toFixed(2)} ms  p99 ${pick(0.99).toFixed(2)} ms  ${(bytes / 1024).toFixed(1)} KiB`);
  }
} finally {
  await server.cleanup();
}
