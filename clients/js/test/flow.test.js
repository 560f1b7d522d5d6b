// A whole evening through the client, against the real server Tests/client/run.sh started: two
// accounts, a partie joined by its QR code, a character and its sheet, a session started, its live
// channel followed across a server restart (reconnection with `since`), a draw, the chat, the
// moves, and the French refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtrangeError, invitationCode } from '../etrange.js';
import {
  canRestart, client, database, eventually, serverLogTail, signedUp, skipLive, startServer, stopServer,
} from './support.js';

// A WebSocket whose opening the test may hold back: while `held`, each attempt fails as an
// unreachable server would, so that events can happen between a drop and the reconnection.
function gatedWebSocket() {
  const gate = { held: false, urls: [] };
  gate.WebSocket = class extends WebSocket {
    constructor(url) {
      if (gate.held) throw new Error('réseau coupé (test)');
      super(url);
      gate.urls.push(url);
    }
  };
  return gate;
}

test(`a whole evening through the client (${database})`, { skip: skipLive, timeout: 120000 }, async (t) => {
  // Accounts: register, me, display name, password (a new token, kept by the client), login.
  const mj = await signedUp('mj', 'Madame Irma');
  const player = await signedUp('joueur');
  const me = await mj.api.getMe();
  assert.equal(me.username, mj.username);
  assert.equal(me.display_name, 'Madame Irma');
  assert.equal((await player.api.updateMe({ display_name: 'Armand' })).display_name, 'Armand');
  const before = await player.api.tokenStore.get();
  const changed = await player.api.changePassword({ current_password: player.password, new_password: 'mot-de-passe-2' });
  assert.equal(await player.api.tokenStore.get(), changed.token);
  assert.notEqual(changed.token, before);
  await player.api.logout();
  assert.equal(await player.api.isSignedIn(), false);
  const refused = await player.api.getMe().catch((e) => e);
  assert.ok(refused instanceof EtrangeError);
  assert.equal(refused.status, 401);
  await player.api.login({ username: player.username, password: 'mot-de-passe-2' });
  assert.equal((await player.api.getMe()).display_name, 'Armand');

  // The partie, joined by what its QR code carries.
  const partie = await mj.api.createPartie({ name: 'Les Ombres de Carcassonne', session_length_minutes: 180 });
  assert.equal(partie.role, 'mj');
  const preview = await player.api.previewInvitation(invitationCode(partie.invite_url));
  assert.equal(preview.partie_name, 'Les Ombres de Carcassonne');
  const joined = await player.api.joinPartie({ invite_code: invitationCode(partie.invite_url) });
  assert.equal(joined.id, partie.id);
  assert.equal(joined.role, 'player');
  assert.ok((await player.api.listParties()).items.some((p) => p.id === partie.id));
  assert.equal((await mj.api.listPartieMembers(partie.id)).length, 2);

  // A character and its sheet.
  const character = await player.api.createCharacter({ name: 'Armand Duval', partie_id: partie.id, figure: 'hearts' });
  const sheet = await player.api.updateCharacterSheet(character.id, {
    characteristics: [{ name: 'Force', value: 2 }, { name: 'Dextérité', value: 1 }],
    skills: [{ name: 'Bagarre', level: 2 }],
  });
  assert.equal(sheet.sheet.characteristics[0].name, 'Force');
  assert.equal((await player.api.getCharacter(character.id)).name, 'Armand Duval');
  assert.ok((await player.api.listCharacters({ partie_id: partie.id })).items.some((c) => c.id === character.id));

  // The session: created with an ISO 8601 date, started, joined with the character.
  // Whole seconds: the server keeps no fraction.
  const when = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000).toISOString();
  const session = await mj.api.createSession({ partie_id: partie.id, name: 'La crypte', scheduled_date: when, max_players: 4 });
  assert.equal(session.status, 'scheduled');
  assert.equal(Date.parse(session.scheduled_date), Date.parse(when));
  assert.equal((await mj.api.startSession(session.id)).status, 'active');
  const seat = await player.api.joinSession(session.id, { character_id: character.id });
  assert.equal(seat.character_id.toLowerCase(), character.id.toLowerCase());
  const heartbeat = player.api.startHeartbeat(session.id, { intervalMs: 1000 });
  t.after(() => heartbeat.stop());
  await heartbeat.first;
  await eventually(async () => (await mj.api.listSessionPresence(session.id))
    .some((p) => p.user_id === changed.user.id && p.status === 'online'), 'the player online by heartbeat');

  // The live channel, on the player's side.
  const gate = gatedWebSocket();
  const events = [];
  const states = [];
  const live = player.api.live(session.id, {
    WebSocket: gate.WebSocket, initialDelayMs: 100, maxDelayMs: 400, pingIntervalMs: 1000,
    onEvent: (event) => events.push(event),
    onStateChange: (state) => states.push(state),
  });
  t.after(() => live.close());
  await eventually(() => live.state === 'open', 'the live channel to open');
  const chat = (body) => mj.api.postSessionMessage(session.id, { body });
  const said = (body) => events.some((e) => e.type === 'chat.message' && e.data.body === body);
  await chat('Bienvenue à Carcassonne.');
  await eventually(() => said('Bienvenue à Carcassonne.'), 'the first chat line live');

  // A draw, from the player's character, seen live.
  const draw = await player.api.drawCards(session.id, { visibility: 'public', character_id: character.id, reason: 'Forcer la grille' });
  assert.equal(draw.cards.length, 1);
  await eventually(() => events.some((e) => e.type === 'cards.drawn'), 'the draw live');
  assert.ok((await mj.api.listSessionDraws(session.id)).items.some((d) => d.id === draw.id));
  assert.ok((await player.api.getSessionDeck(session.id, character.id)).remaining >= 1);

  // The server goes away and comes back; meanwhile the player's phone is off the network. What was
  // said between comes first on the reconnection, asked with `since`.
  if (canRestart) {
    const seenBefore = live.lastSeq;
    gate.held = true;
    await stopServer();
    await eventually(() => live.state === 'waiting', 'the client to wait before reconnecting');
    await startServer();
    await chat('Pendant la coupure, 1.');
    await chat('Pendant la coupure, 2.');
    gate.held = false;
    const opened = Date.now();
    await eventually(() => said('Pendant la coupure, 2.'), `the missed lines after the reconnection\n${serverLogTail()}`, 20000);
    t.diagnostic(`missed lines delivered ${Date.now() - opened} ms after the network came back, since=${seenBefore}`);
    const reconnection = new URL(gate.urls.at(-1));
    assert.equal(reconnection.searchParams.get('since'), String(seenBefore));
    assert.ok(states.filter((s) => s === 'open').length >= 2);
    await chat('Après la coupure.');
    await eventually(() => said('Après la coupure.'), 'a line after the reconnection');
  } else {
    t.diagnostic('no restart: ETRANGE_CLIENT_* unset (run the suite with Tests/client/run.sh)');
  }

  // The chat, read back; the moves, as actions.
  const lines = await player.api.listSessionMessages(session.id, { limit: 50 });
  assert.ok(lines.items.some((m) => m.body === 'Bienvenue à Carcassonne.'));
  const mine = await player.api.postSessionMessage(session.id, { body: 'On entre dans la crypte ?' });
  await eventually(() => said('On entre dans la crypte ?'), 'the player\'s own line');
  assert.equal((await mj.api.pauseSession(session.id)).status, 'paused');
  assert.equal((await mj.api.resumeSession(session.id)).status, 'active');
  const late = await mj.api.startSession(session.id).catch((e) => e);
  assert.ok(late instanceof EtrangeError);
  assert.equal(late.status, 409);
  assert.match(late.reason, /[éèà]|session/i);
  const ended = await mj.api.endSession(session.id, { summary: 'La crypte était vide.' });
  assert.equal(ended.status, 'completed');
  // The server closes normally; the ticket asked after it is refused: the session is over.
  await eventually(() => live.state === 'closed', 'the live channel to close with the session');
  assert.equal(live.closeReason.error.status, 409);

  // Every event once, in order; the moves among them.
  const seqs = events.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'events in order');
  assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
  const statuses = events.filter((e) => e.type === 'session.status').map((e) => e.data.status);
  assert.deepEqual(statuses.slice(-3), ['paused', 'active', 'completed']);
  assert.ok(mine.id);

  // A bad input: typed, with the server's French reason and the field.
  const bad = await mj.api.createSession({ partie_id: partie.id, name: '   ' }).catch((e) => e);
  assert.ok(bad instanceof EtrangeError);
  assert.equal(bad.status, 400);
  assert.equal(bad.field, 'name');
  assert.match(bad.reason, /^name : /);
  assert.equal(bad.body.reason, bad.reason);

  // Leaving: a seat in the next session, then the partie.
  const next = await mj.api.createSession({ partie_id: partie.id, name: 'La suite' });
  assert.equal((await player.api.joinSession(next.id, { character_id: character.id })).is_active, true);
  const left = await player.api.leaveSession(next.id);
  assert.equal(left.is_active, false);
  assert.ok(Date.parse(left.left_at));
  assert.equal((await mj.api.cancelSession(next.id)).status, 'cancelled');
  await player.api.leavePartie(partie.id);
  const gone = await player.api.getPartie(partie.id).catch((e) => e);
  assert.equal(gone.status, 404);
});
