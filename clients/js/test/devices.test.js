// The server closes a person's oldest connection when they open one too many
// (ETRANGE_LIVE_MAX_SOCKETS_PER_SESSION, 2 in this stage): the client must not reopen it, or two
// devices would keep closing each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { database, eventually, seatedTable, skipLive } from './support.js';

test(`a connection replaced by a newer device stays closed (${database})`, { skip: skipLive, timeout: 60000 }, async (t) => {
  const { mj, player, session } = await seatedTable();
  const open = (label) => {
    const seen = [];
    const live = player.api.live(session.id, { initialDelayMs: 50, maxDelayMs: 200, onEvent: (e) => seen.push(e) });
    t.after(() => live.close());
    return { label, live, seen };
  };
  const phone = open('phone');
  await eventually(() => phone.live.state === 'open', 'the phone open');
  const tablet = open('tablet');
  await eventually(() => tablet.live.state === 'open', 'the tablet open');
  const laptop = open('laptop');
  await eventually(() => phone.live.state === 'closed', 'the phone replaced');
  assert.match(phone.live.closeReason.reason, /connexions/);
  await eventually(() => laptop.live.state === 'open', 'the laptop open');

  // Long enough for several reconnection attempts, had the phone made any.
  await sleep(1000);
  assert.equal(phone.live.state, 'closed');
  assert.equal(tablet.live.state, 'open');
  assert.equal(laptop.live.state, 'open');
  await mj.api.postSessionMessage(session.id, { body: 'Encore là ?' });
  await eventually(() => tablet.seen.length && laptop.seen.length, 'the line on both devices left');
  assert.equal(phone.seen.length, 0);
});
