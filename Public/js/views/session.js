// A session's page: loads the session, lays out its parts (Public/js/views/session/) and feeds
// them the live channel's events. Each part draws its own box, so typing in a form is never
// disturbed by another redrawing:
//   moves.js     the MJ's control bar (start, pause, end…)     seat.js      joining and leaving
//   presence.js  who is connected, who takes part              draws.js     card draws
//   chat.js      the discussion                                account.js   the account, read or edited
//   settings.js  the MJ's settings of the session               state.js     what they share

import { api, session as auth } from '../api.js';
import { h, replace, formatDuration, timeElement } from '../dom.js';
import { connectionBanner, statusBadge } from '../ui.js';
import { openSessionChannel } from '../live.js';
import { backLink, loadOrExplain, showPageError } from './common.js';
import { myCharacters } from './characters.js';
import { accountEditor, accountReader, recapExportButton } from './session/account.js';
import { chatPanel } from './session/chat.js';
import { drawPanels } from './session/draws.js';
import { controlBar } from './session/moves.js';
import { presencePanels } from './session/presence.js';
import { seatPanel } from './session/seat.js';
import { settingsEditor } from './session/settings.js';
import { isFinal, isRunning, knownCharacters, mySeat } from './session/state.js';
import { tableLayout } from './session/table.js';
import { rsvpPanel } from './scheduling.js';
import { sessionHandouts } from './session/handouts.js';

export async function renderSession(ctx, sessionId) {
  ctx.setTitle('Session');
  const loaded = await loadOrExplain(ctx, 'Session', async () => {
    const s = await api(`/api/sessions/${sessionId}`, { signal: ctx.signal });
    const [partie, characters] = await Promise.all([
      api(`/api/parties/${s.partie_id}`, { signal: ctx.signal }),
      myCharacters(s.partie_id, ctx.signal).catch(() => []),
    ]);
    return { s, partie, characters };
  });
  if (!loaded) return;

  const state = {
    session: loaded.s,
    partie: loaded.partie,
    characters: loaded.characters,
    presence: null,
    participants: null,
    ownSeat: null, // what join or leave answered, until the participants list is read
  };
  const me = auth.user || {};
  let liveMode = { mode: 'connecting' };
  const isMJ = state.session.is_mj;
  ctx.setTitle(state.session.name);

  // --- The parts. A player is let into the live channel once seated; the MJ always.
  const channel = openSessionChannel(sessionId, { awaitSeat: !isMJ });
  const recapButton = recapExportButton(state);
  const editor = isMJ ? accountEditor(state, channel, recapButton) : null;
  const reader = isMJ ? null : accountReader(state, recapButton);
  const settings = isMJ ? settingsEditor(state, channel) : null;
  const chat = chatPanel({ sessionId, me, isMJ, players: () => state.participants });
  const rsvp = rsvpPanel(sessionId);
  const draws = drawPanels({ sessionId, me, isMJ });
  const handouts = sessionHandouts(ctx, state.partie.id);
  const people = presencePanels({ state, me, liveMode: () => liveMode });
  const seat = seatPanel({
    sessionId, state, me, isMJ, channel, liveMode: () => liveMode,
    seatChanged: () => { people.drawParticipants(); drawTable(); updatePresenceWish(); channel.refresh(); },
  });
  if (isMJ) ctx.onLeave(() => editor.isDirty() || settings.isDirty());
  const controls = isMJ ? controlBar({ sessionId, state, editor, channel, applySession, navigate: ctx.navigate }) : null;

  // --- Page skeleton.
  const titleText = h('span', {}, state.session.name);
  const badgeBox = h('span', { 'data-testid': 'session-status' });
  const metaBox = h('dl', { class: 'facts' });
  const description = h('p', { class: 'page-head__desc' });

  // The table: « Tirer » (a player's seat, the draws), « Discussion », « Table » (who is there,
  // the account). A finished session is read, not played: its account leads.
  const finished = isFinal(state.session);
  const account = isMJ ? [editor.element, settings.element] : [reader.element];
  const tableBox = h('div', { class: 'table__stack' },
    finished && account,
    people.presencePanel,
    people.participantsPanel,
    isMJ && seat.element,
    draws.recentElement,
    handouts.element,
    !finished && account);
  const table = tableLayout({
    parts: { tirer: [!isMJ && seat.element, draws.element], discussion: [chat.element], table: [tableBox] },
    chatElement: chat.element,
    whoLine: people.whoLine,
    initial: finished ? 'table' : 'tirer',
  });
  table.setFinished(finished);
  ctx.onCleanup(() => table.stop());

  replace(ctx.main,
    backLink(`#/parties/${state.partie.id}`, state.partie.name),
    h('div', { class: 'page-head' },
      h('h1', { class: 'page-head__title' }, titleText, ' ', badgeBox),
      metaBox,
      description),
    chat.pinnedElement,
    controls && controls.element,
    rsvp.element,
    table.bar,
    table.element);

  function drawHead() {
    const s = state.session;
    titleText.textContent = s.name;
    ctx.setTitle(s.name);
    replace(badgeBox, statusBadge(s.status));
    // Nothing to export before the session is played.
    recapButton.hidden = s.status === 'scheduled';
    const facts = [];
    const fact = (term, ...value) => facts.push(h('div', {}, h('dt', {}, term), h('dd', {}, ...value)));
    if (s.scheduled_date) fact('Prévue', timeElement(s.scheduled_date));
    if (s.started_at) fact('Commencée', timeElement(s.started_at, { short: true }));
    if (s.ended_at) fact(s.status === 'cancelled' ? 'Annulée' : 'Terminée', timeElement(s.ended_at, { short: true }));
    if (s.duration_minutes != null && s.status !== 'scheduled') fact('Durée de jeu', formatDuration(s.duration_minutes));
    fact(s.max_players >= 2 ? 'Joueur·se·s' : 'Joueur·se', `${s.seated_players} / ${s.max_players}`);
    if (!isFinal(s)) fact('Arrivées tardives', s.allow_late_join ? 'acceptées' : 'refusées');
    fact('En ligne', h('span', { 'data-testid': 'online-count' }, String(s.online_count)));
    if (s.voice_channel_id) fact('Salon vocal', s.voice_channel_id);
    replace(metaBox, facts);
    description.textContent = s.description || '';
    description.hidden = !s.description;
    // Who comes is asked before the evening; once it starts, the table says who came.
    rsvp.element.hidden = s.status !== 'scheduled';
    rsvp.update(s);
  }

  /** The draw panel and the chat follow the session's state and my seat (and its character). */
  let lastSeatKey = null;
  function drawTable() {
    const mine = mySeat(state, me);
    draws.update(state.session, mine);
    const s = state.session;
    chat.setWritable(!isFinal(s) && (isMJ || Boolean(mine)),
      isFinal(s) ? 'La session est finie : sa discussion est fermée.'
        : s.can_join ? 'Rejoignez la session pour écrire dans la discussion.'
          : 'Seules les personnes à la table écrivent dans la discussion.');
    if (!isMJ && state.participants) channel.setSeated(Boolean(mine));
    const seatKey = mine ? `${mine.character_id || ''}` : '-';
    if (lastSeatKey !== null && seatKey !== lastSeatKey) {
      // Taking or giving up a seat may change what the server lets me read.
      chat.reset();
      draws.sync();
    }
    lastSeatKey = seatKey;
  }

  /** The heartbeat keeps the caller online while they hold a seat in a session being played. */
  function updatePresenceWish() {
    channel.setPresence(isRunning(state.session) && Boolean(mySeat(state, me)));
  }

  /** Once the session is over, its account is what the page is about: it moves to the top. */
  let accountOnTop = finished;
  function accountFirst() {
    if (accountOnTop) return;
    accountOnTop = true;
    const focused = document.activeElement; // moving a node takes the focus away from it
    tableBox.prepend(...account);
    table.setFinished(true);
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  }

  let lastUpdated = state.session.updated_at;
  function applySession(s, { force = false } = {}) {
    const changed = force || s.updated_at !== lastUpdated || s.status !== state.session.status
      || s.online_count !== state.session.online_count || s.seated_players !== state.session.seated_players
      || s.can_join !== state.session.can_join;
    state.session = s;
    updatePresenceWish();
    seat.seatTheMJ();
    if (!changed) return;
    lastUpdated = s.updated_at;
    if (isFinal(s)) accountFirst();
    drawHead();
    if (controls) controls.draw();
    seat.draw();
    drawTable();
    if (reader) reader.draw();
    people.drawPresence();
    if (editor) editor.update(s, { force });
    if (settings) settings.update(s, { force });
  }

  // --- Live updates.
  channel.on('session', (s) => applySession(s));
  channel.on('presence', (list) => { state.presence = list; people.drawPresence(); if (reader) reader.draw(); });
  channel.on('presence-event', people.applyEvent);
  channel.on('participants', (list) => {
    state.participants = list;
    people.drawParticipants();
    chat.playersChanged();
    seat.draw();
    drawTable();
    updatePresenceWish();
    seat.seatTheMJ();
    if (editor) editor.setKnownCharacters(knownCharacters(state));
    if (reader) reader.draw();
  });
  channel.on('connection', ({ state: connection, retryIn, reason }) => {
    people.setStale(connection === 'lost');
    if (connection === 'lost') {
      connectionBanner.show(reason || 'Connexion perdue.', { retryIn, onRetry: () => channel.retryNow() });
    } else {
      connectionBanner.restored();
    }
  });
  channel.on('chat', (message) => chat.receive(message));
  channel.on('rsvp', () => rsvp.refresh());
  channel.on('draw', (draw) => draws.receive(draw));
  channel.on('handout', (handout) => handouts.receive(handout));
  channel.on('sync', () => { chat.sync(); draws.sync(); });
  channel.on('mode', (mode) => {
    const wasPolling = liveMode.mode === 'polling';
    liveMode = mode;
    people.drawLiveNote();
    // Whether the MJ is offered to leave depends on it.
    if (isMJ && wasPolling !== (mode.mode === 'polling')) seat.draw({ force: true });
    if (mode.mode === 'polling') { updatePresenceWish(); seat.seatTheMJ(); }
  });
  channel.on('gone', (error) => {
    channel.stop();
    showPageError(ctx, 'Session', error);
  });

  drawHead();
  if (controls) controls.draw();
  seat.draw();
  drawTable();
  people.drawPresence();
  people.drawParticipants();
  if (reader) reader.draw();
  if (editor) editor.setKnownCharacters(knownCharacters(state));
  chat.sync();
  draws.sync();
  channel.start();
  ctx.onCleanup(() => { channel.stop(); connectionBanner.hide(); });
}
