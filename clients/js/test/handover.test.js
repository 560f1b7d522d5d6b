// Handing a partie over, taking one's data, deleting: the thin calls, against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtrangeError } from '../etrange.js';
import { client, database, eventually, signedUp, skipLive } from './support.js';

test(`a partie handed over: the new MJ's live connection comes back with its new rights (${database})`, {
  skip: skipLive, timeout: 60000,
}, async (t) => {
  const mj = await signedUp('mj');
  const player = await signedUp('joueur');
  const partie = await mj.api.createPartie({ name: 'La passation' });
  await player.api.joinPartie({ invite_code: partie.invite_code });
  const character = await player.api.createCharacter({ name: 'Armand', partie_id: partie.id });
  const session = await mj.api.createSession({ partie_id: partie.id, name: 'Plus tard' });
  const me = await player.api.getMe();
  await player.api.joinSession(session.id, { character_id: character.id });

  const events = [];
  const states = [];
  const live = player.api.live(session.id, {
    initialDelayMs: 50, maxDelayMs: 200,
    onEvent: (event) => events.push(event), onStateChange: (state) => states.push(state),
  });
  t.after(() => live.close());
  await eventually(() => live.state === 'open', 'the player\'s channel open');

  const handed = await mj.api.transferPartie(partie.id, { user_id: me.id });
  assert.equal(handed.mj_id, me.id);
  await eventually(() => events.some((e) => e.type === 'partie.transferred'), 'partie.transferred');
  await eventually(() => states.filter((s) => s === 'open').length >= 2, 'the channel reopened');
  assert.equal(live.state, 'open');
  // The new MJ now moves the session, and hears it on the reopened channel.
  await player.api.startSession(session.id);
  await eventually(() => events.some((e) => e.type === 'session.status' && e.data.status === 'active'), 'the start, live');
  const seqs = events.map((e) => e.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
  await player.api.cancelSession(session.id);
});

test(`export, deleting a character, a partie and an account (${database})`, { skip: skipLive, timeout: 60000 }, async () => {
  const mj = await signedUp('mj');
  const player = await signedUp('joueur');
  const partie = await mj.api.createPartie({ name: 'À effacer' });
  await player.api.joinPartie({ invite_code: partie.invite_code });
  const character = await player.api.createCharacter({ name: 'Doublure', partie_id: partie.id });

  const exported = await player.api.exportMyData();
  assert.equal(exported.account.username, player.username);
  assert.ok(exported.characters.some((c) => c.id === character.id));

  await player.api.deleteCharacter(character.id);
  assert.ok(!(await player.api.listCharacters()).items.some((c) => c.id === character.id && c.name === 'Doublure'));

  // The MJ still runs a partie: their account cannot go yet (409, in French).
  const running = await mj.api.deleteMe({ password: mj.password }).catch((e) => e);
  assert.ok(running instanceof EtrangeError);
  assert.equal(running.status, 409);
  const misnamed = await mj.api.deletePartie(partie.id, { confirm_name: 'Autre nom' }).catch((e) => e);
  assert.ok(misnamed instanceof EtrangeError);
  assert.equal(misnamed.status, 400);
  assert.equal(misnamed.field, 'confirm_name');
  await mj.api.deletePartie(partie.id, { confirm_name: 'À effacer' });
  assert.equal((await player.api.getPartie(partie.id).catch((e) => e)).status, 404);

  await player.api.deleteMe({ password: player.password });
  const again = client();
  const refused = await again.login({ username: player.username, password: player.password }).catch((e) => e);
  assert.ok(refused instanceof EtrangeError);
  assert.equal(refused.status, 401);
});
