// The client without a server: its declarations, its errors, and the live channel's reconnection
// rules against a scripted WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EtrangeClient, EtrangeError, ROUTES, invitationCode, memoryTokenStore } from '../etrange.js';
import { eventually } from './support.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

test('etrange.d.ts is what scripts/gen-client-types.py makes of the OpenAPI document', () => {
  try {
    execFileSync('python3', ['scripts/gen-client-types.py', '--check'], { cwd: repo, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    assert.fail(`the declarations are stale:\n${error.stdout}\n${error.stderr}`);
  }
});

const tsc = spawnSync('tsc', ['--version']).status === 0;

test('the declarations type what the app writes and refuse what the document refuses (tsc --strict)', {
  skip: tsc ? false : 'tsc is not installed (Debian: node-typescript)',
}, () => {
  const run = spawnSync('tsc', [
    '--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'node',
    '--lib', 'es2022,dom', 'test/typed-usage.ts',
  ], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
  assert.equal(run.status, 0, `tsc:\n${run.stdout}${run.stderr}`);
});

test('every route is a method of the client', () => {
  const api = new EtrangeClient({ baseUrl: 'http://example.invalid', fetch: async () => { throw new Error('unused'); } });
  for (const name of Object.keys(ROUTES)) assert.equal(typeof api[name], 'function', name);
});

test('an invitation QR code gives its code: a link, a legacy UUID', () => {
  assert.equal(invitationCode('https://etrange.example.org/invitation/K7P-2QX9'), 'K7P-2QX9');
  assert.equal(invitationCode('http://127.0.0.1:8080/invitation/abc%20d?x=1'), 'abc d');
  assert.equal(invitationCode(' 6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b \n'), '6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b');
  assert.throws(() => invitationCode('  '), EtrangeError);
});

function fakeFetch(answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    const [status, body] = next;
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status, headers: { 'Content-Type': 'application/json' },
    });
  };
  return { fetch, calls };
}

test('a refusal is an EtrangeError with the status, the French reason, the field and the body', async () => {
  const body = { error: true, status: 400, reason: 'name : ne doit pas être vide.', field: 'name' };
  const { fetch, calls } = fakeFetch([[400, body]]);
  const api = new EtrangeClient({ baseUrl: 'http://server.test/', fetch, tokenStore: memoryTokenStore('jeton') });
  const error = await api.createPartie({ name: '' }).catch((e) => e);
  assert.ok(error instanceof EtrangeError);
  assert.deepEqual([error.status, error.reason, error.field, error.body], [400, body.reason, 'name', body]);
  assert.equal(calls[0].url, 'http://server.test/api/parties');
  assert.equal(calls[0].init.headers.Authorization, 'Bearer jeton');
});

test('an unreachable server is an EtrangeError with status 0', async () => {
  const { fetch } = fakeFetch([new TypeError('fetch failed')]);
  const api = new EtrangeClient({ baseUrl: 'http://server.test', fetch });
  const error = await api.getMe().catch((e) => e);
  assert.ok(error instanceof EtrangeError);
  assert.equal(error.status, 0);
  assert.match(error.reason, /injoignable/);
});

test('a request that hangs fails with status 0 after timeoutMs; a 429 carries its Retry-After', async () => {
  const hanging = (url, init) => new Promise((resolve, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  const slow = new EtrangeClient({ baseUrl: 'http://server.test', fetch: hanging, timeoutMs: 20 });
  const error = await slow.getMe().catch((e) => e);
  assert.ok(error instanceof EtrangeError);
  assert.equal(error.status, 0);
  assert.match(error.reason, /ne répond pas/);

  const limited = new EtrangeClient({
    baseUrl: 'http://server.test',
    fetch: async () => new Response(JSON.stringify({ error: true, status: 429, reason: 'Trop de tickets demandés.' }), {
      status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '12' },
    }),
  });
  const refused = await limited.createLiveTicket('S1').catch((e) => e);
  assert.deepEqual([refused.status, refused.reason, refused.retryAfter], [429, 'Trop de tickets demandés.', 12]);
  const plain = await new EtrangeClient({ baseUrl: 'http://server.test', fetch: fakeFetch([[404, { error: true, status: 404, reason: 'Introuvable.' }]]).fetch })
    .getMe().catch((e) => e);
  assert.equal(plain.retryAfter, null);
});

test('path parameters, body and query land where the route says; logout forgets the token even when refused', async () => {
  const { fetch, calls } = fakeFetch([[200, {}], [200, {}], [401, { error: true, status: 401, reason: 'Jeton invalide.' }]]);
  const tokens = memoryTokenStore('jeton');
  const api = new EtrangeClient({ baseUrl: 'http://server.test', fetch, tokenStore: tokens });
  await api.editSessionMessage('S/1', 42, { body: 'x' });
  await api.listSessions({ partie_id: 3, status: 'active', page: undefined });
  assert.equal(calls[0].url, 'http://server.test/api/sessions/S%2F1/messages/42');
  assert.equal(calls[0].init.method, 'PATCH');
  assert.equal(calls[0].init.body, '{"body":"x"}');
  assert.equal(calls[1].url, 'http://server.test/api/sessions?partie_id=3&status=active');
  await assert.rejects(api.logout(), EtrangeError);
  assert.equal(await tokens.get(), null);
});

// A WebSocket the test drives: each instance is recorded, opened by the test, and fed frames.
function scriptedSockets() {
  const sockets = [];
  class Scripted {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.closed = null;
      sockets.push(this);
    }
    send(data) { this.sent.push(data); }
    close(code) { this.closed = code; }
    open() { this.onopen?.({}); }
    frame(value) { this.onmessage?.({ data: JSON.stringify(value) }); }
    drop(code) { this.onclose?.({ code }); }
  }
  return { sockets, Scripted };
}

function liveClient(ticketAnswers) {
  const { fetch } = fakeFetch(ticketAnswers);
  const { sockets, Scripted } = scriptedSockets();
  const api = new EtrangeClient({ baseUrl: 'https://server.test', fetch, WebSocket: Scripted });
  return { api, sockets };
}

const ticket = [201, { ticket: 't', expires_at: '2026-01-01T00:00:00Z' }];
const event = (seq) => ({ seq, type: 'chat.message', at: '2026-01-01T00:00:00Z', data: { n: seq } });

test('a dropped connection reconnects with since = the last seq, and an overlapping catch-up is delivered once', async () => {
  const { api, sockets } = liveClient([ticket, ticket]);
  const seen = [];
  const live = api.live('S1', { onEvent: (e) => seen.push(e.seq), initialDelayMs: 1, pingIntervalMs: 0 });
  await eventually(() => sockets.length === 1, 'the first socket');
  assert.equal(sockets[0].url, 'wss://server.test/api/sessions/S1/live?ticket=t');
  sockets[0].open();
  for (const seq of [1, 2, 3]) sockets[0].frame(event(seq));
  sockets[0].drop(1006);
  assert.equal(live.state, 'waiting');
  await eventually(() => sockets.length === 2, 'the reconnection');
  assert.equal(new URL(sockets[1].url).searchParams.get('since'), '3');
  sockets[1].open();
  for (const seq of [2, 3, 4, 6]) sockets[1].frame(event(seq));
  assert.deepEqual(seen, [1, 2, 3, 4, 6]);
  live.close();
  assert.equal(live.state, 'closed');
});

test('back-off: exponential, jittered between half and all of the ceiling, capped, reset once open', async () => {
  const { api } = liveClient([]);
  const low = api.live('S1', { random: () => 0, initialDelayMs: 100, maxDelayMs: 1000, pingIntervalMs: 0 });
  const high = api.live('S1', { random: () => 0.999999, initialDelayMs: 100, maxDelayMs: 1000, pingIntervalMs: 0 });
  low.close();
  high.close();
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => low.nextDelay(n)), [50, 100, 200, 400, 500, 500]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => Math.round(high.nextDelay(n))), [100, 200, 400, 800, 1000, 1000]);

  const { api: flaky, sockets } = liveClient([ticket, [503, { error: true, status: 503, reason: 'Indisponible.' }], ticket, ticket]);
  const waits = [];
  const live = flaky.live('S1', {
    initialDelayMs: 2, random: () => 1, pingIntervalMs: 0,
    onStateChange: (state, detail) => { if (state === 'waiting') waits.push(detail.delay); },
  });
  await eventually(() => sockets.length === 1, 'the first socket');
  sockets[0].drop(1006);
  await eventually(() => sockets.length === 2, 'a socket after the refused ticket');
  assert.deepEqual(waits, [2, 4]);
  sockets[1].open();
  assert.equal(live.attempt, 0);
  sockets[1].drop(1001);
  await eventually(() => sockets.length === 3, 'the third socket');
  assert.deepEqual(waits, [2, 4, 2]);
  live.close();
});

test('no reconnection after stream.replaced or session.deleted; after a normal closure, the ticket decides', async () => {
  const over = [409, { error: true, status: 409, reason: 'La session est terminée.' }];
  const { api, sockets } = liveClient([ticket, ticket, ticket, over, ticket, ticket]);
  const replaced = api.live('S1', { initialDelayMs: 1, pingIntervalMs: 0 });
  await eventually(() => sockets.length === 1, 'a socket');
  sockets[0].open();
  sockets[0].frame({ type: 'stream.replaced', data: { reason: 'Trop de connexions ouvertes.' } });
  sockets[0].drop(1008);
  assert.equal(replaced.state, 'closed');
  assert.deepEqual(replaced.closeReason, { code: 1008, reason: 'Trop de connexions ouvertes.' });

  const deleted = api.live('S1', { initialDelayMs: 1, pingIntervalMs: 0 });
  await eventually(() => sockets.length === 2, 'a socket');
  sockets[1].open();
  sockets[1].frame({ type: 'session.deleted', data: { reason: 'La session a été supprimée.', session_id: 'S1' } });
  sockets[1].drop(1000);
  assert.equal(deleted.state, 'closed');

  // The session ended: the closure is normal, and the ticket asked after it is refused (409).
  const ended = api.live('S1', { initialDelayMs: 1, pingIntervalMs: 0 });
  await eventually(() => sockets.length === 3, 'a socket');
  sockets[2].open();
  sockets[2].frame({ type: 'stream.closed', data: { reason: 'La session est terminée.' } });
  sockets[2].drop(1000);
  await eventually(() => ended.state === 'closed', 'the refused ticket');
  assert.equal(ended.closeReason.error.status, 409);
  assert.equal(ended.closeReason.error.reason, 'La session est terminée.');
  assert.equal(sockets.length, 3);

  // The partie changed hands: the closure is normal too, and the ticket lets the MJ back in.
  const handed = api.live('S1', { initialDelayMs: 1, pingIntervalMs: 0 });
  await eventually(() => sockets.length === 4, 'a socket');
  sockets[3].open();
  sockets[3].frame({ seq: 8, type: 'partie.transferred', at: '2026-01-01T00:00:00Z', data: {} });
  sockets[3].drop(1000);
  await eventually(() => sockets.length === 5, 'the reconnection with the new rights');
  assert.equal(new URL(sockets[4].url).searchParams.get('since'), '8');
  handed.close();
});

test('a reconnection that knows no seq asks for a reload', async () => {
  const { api, sockets } = liveClient([ticket, ticket]);
  let resyncs = 0;
  const live = api.live('S1', { initialDelayMs: 1, pingIntervalMs: 0, onResync: () => { resyncs += 1; } });
  await eventually(() => sockets.length === 1, 'a socket');
  sockets[0].open();
  sockets[0].drop(1006);
  await eventually(() => sockets.length === 2, 'the reconnection');
  assert.equal(resyncs, 1);
  assert.equal(new URL(sockets[1].url).searchParams.get('since'), null);
  live.close();
});
