// A session: its state and the MJ's controls, joining it with a character, who is connected
// (live), who takes part, the table (card draws and chat), and its account (summary, key events,
// character developments, notes).

import { api, ApiError, displayName, session as auth } from '../api.js';
import {
  h, replace, field, uid, redrawKeepingFocus, formatDateTime, formatDuration, formatTime, fromLocalInput, toLocalInput, timeElement, prose,
} from '../dom.js';
import {
  confirmDialog, connectionBanner, formError, notice, onSubmit, panel, roleBadge, runAction, statusBadge, toast,
} from '../ui.js';
import { openSessionChannel } from '../live.js';
import { backLink, empty, loadOrExplain, showPageError } from './common.js';
import { characterForm, myCharacters } from './characters.js';
import { chatPanel } from './chat.js';
import { drawPanels } from './draws.js';
import { markdownExportButton } from './exports.js';

const ACTIONS = {
  start: { label: 'Démarrer', done: 'Session démarrée.', primary: true },
  pause: { label: 'Mettre en pause', done: 'Session en pause.' },
  resume: { label: 'Reprendre', done: 'Session reprise.', primary: true },
  end: { label: 'Terminer…', done: 'Session terminée.', danger: true },
  cancel: { label: 'Annuler la session…', done: 'Session annulée.', danger: true },
};

const isRunning = (s) => s.status === 'active' || s.status === 'paused';
const isFinal = (s) => s.status === 'completed' || s.status === 'cancelled';

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
    unavailable: new Set(),
    ownSeat: null, // what join answered, while the participants list is not available
  };
  const me = auth.user || {};
  let liveMode = { mode: 'connecting' };
  const isMJ = state.session.is_mj;
  ctx.setTitle(state.session.name);

  // --- Page skeleton: each box is redrawn on its own, so typing in a form is never disturbed.
  const titleText = h('span', {}, state.session.name);
  const badgeBox = h('span', { 'data-testid': 'session-status' });
  const metaBox = h('dl', { class: 'facts' });
  const actionsBox = h('div', { class: 'actions', 'data-testid': 'session-actions' });
  const actionError = h('div', { 'data-testid': 'action-error' });
  const joinBox = h('div', { 'data-testid': 'join' });
  const presenceBox = h('div', { 'data-testid': 'presence' });
  const participantsBox = h('div', { 'data-testid': 'participants' });
  const readerBox = h('div', { 'data-testid': 'account' });

  const joinPanel = isMJ ? null : panel('À la table', { id: 'join-panel' }, joinBox);
  const seatPanel = isMJ ? panel('Ma place', { id: 'join-panel' }, joinBox) : null;
  // The account as a Markdown file (the MJ's own copy holds their notes and secret draws).
  const recapButton = markdownExportButton({
    path: `/api/sessions/${sessionId}/recap.md`,
    label: 'Compte rendu (.md)',
    title: `Compte rendu — ${state.session.name}`,
    filename: 'compte-rendu.md',
    testid: 'export-recap',
    note: isMJ ? 'Votre version contient vos notes privées et vos tirages secrets : celle des joueurs ne les a pas.' : null,
  });
  const readerPanel = isMJ ? null : panel('Compte rendu', { id: 'account', actions: recapButton }, readerBox);
  const liveNote = h('p', { class: 'live-note muted', 'data-testid': 'live-state', role: 'status' });
  const presencePanel = panel('Connecté·e·s', { id: 'presence-panel', class: 'panel--live' }, presenceBox, liveNote);
  // A player is let into the live channel once seated; the MJ always.
  const channel = openSessionChannel(sessionId, { awaitSeat: !isMJ });
  const editor = isMJ ? accountEditor(state, channel, () => state.session, recapButton) : null;
  const settings = isMJ ? settingsEditor(state, channel) : null;
  const chat = chatPanel({ sessionId, me });
  const draws = drawPanels({ sessionId, me, isMJ });

  const finished = isFinal(state.session);
  let main;
  if (isMJ) {
    // During the game the table comes first; afterwards, the account.
    main = finished ? [editor.element, settings.element, chat.element, draws.element]
      : [draws.element, chat.element, editor.element, settings.element];
  } else {
    // A finished session is read, not joined: its account comes first.
    main = finished ? [readerPanel, chat.element, draws.element, joinPanel]
      : [joinPanel, draws.element, chat.element, readerPanel];
  }
  const mainColumn = h('div', { class: 'layout__main' }, main);
  const layout = h('div', { class: 'layout' },
    mainColumn,
    h('div', { class: 'layout__side' },
      presencePanel,
      panel('Participants', { id: 'participants-panel' }, participantsBox),
      seatPanel,
      draws.recentElement));

  replace(ctx.main,
    backLink(`#/parties/${state.partie.id}`, state.partie.name),
    h('div', { class: 'page-head' },
      h('h1', { class: 'page-head__title' }, titleText, ' ', badgeBox),
      metaBox),
    isMJ && h('section', { class: 'panel control-bar', 'aria-labelledby': 'control-title' },
      h('h2', { class: 'control-bar__title', id: 'control-title' }, 'Conduite de la session'), actionsBox, actionError),
    layout);

  // --- Drawing.
  let lastActionsKey = '';
  let lastJoinKey = '';

  function drawHead() {
    const s = state.session;
    // On a phone the MJ of a session being played sees the table first; afterwards, the account.
    layout.classList.toggle('layout--side-first', isMJ && !isFinal(s));
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
    fact('Joueur·se·s', `${s.seated_players} / ${s.max_players}`);
    if (!isFinal(s)) fact('Arrivées tardives', s.allow_late_join ? 'acceptées' : 'refusées');
    fact('En ligne', h('span', { 'data-testid': 'online-count' }, String(s.online_count)));
    if (s.voice_channel_id) fact('Salon vocal', s.voice_channel_id);
    replace(metaBox, facts);
    if (s.description) metaBox.append(h('p', { class: 'page-head__desc' }, s.description));
  }

  function drawActions() {
    if (!isMJ) return;
    const s = state.session;
    const key = `${s.status}|${s.allowed_actions.join(',')}`;
    if (key === lastActionsKey) return;
    lastActionsKey = key;
    const buttons = s.allowed_actions.map((action) => {
      const spec = ACTIONS[action] || { label: action };
      const button = h('button', {
        type: 'button',
        class: ['btn', spec.primary && 'btn--primary', spec.danger && 'btn--danger-outline'],
        'data-testid': `action-${action}`,
        onClick: () => transition(action, button),
      }, spec.label);
      return button;
    });
    if (s.status === 'scheduled' || s.status === 'cancelled') {
      const button = h('button', {
        type: 'button', class: 'btn btn--danger-outline', 'data-testid': 'action-delete',
        onClick: () => remove(button),
      }, 'Supprimer…');
      buttons.push(button);
    }
    redrawKeepingFocus(actionsBox, () => replace(actionsBox, buttons.length ? buttons
      : h('p', { class: 'muted' }, 'Cette session est terminée : seul son compte rendu peut encore être modifié.')));
  }

  async function transition(action, button) {
    let body;
    if (action === 'end') {
      const summaryId = uid('end-summary');
      const form = await confirmDialog({
        title: 'Terminer la session ?',
        message: 'Une session terminée ne peut plus être reprise. Vous pouvez écrire ou compléter son résumé maintenant (modifiable ensuite).',
        content: h('div', { class: 'field' },
          h('label', { for: summaryId }, 'Résumé de la session'),
          h('textarea', { id: summaryId, name: 'summary', rows: 6, maxlength: 20000, 'data-testid': 'end-summary', value: editor.value().summary || '' })),
        confirmLabel: 'Terminer la session', danger: true,
      });
      if (!form) return;
      const account = editor.collect();
      const summary = form.querySelector('textarea[name=summary]').value.trim();
      body = { ...account.body, summary: summary || null };
      if (!summary) delete body.summary;
      editor.setSummary(summary);
    } else if (action === 'cancel') {
      const ok = await confirmDialog({
        title: 'Annuler la session ?',
        message: 'Une session annulée ne peut plus être démarrée ni reprise.',
        confirmLabel: 'Annuler la session', cancelLabel: 'Ne pas annuler', danger: true,
      });
      if (!ok) return;
    }
    const updated = await runAction(button, actionError, () =>
      api(`/api/sessions/${sessionId}/${action}`, { method: 'POST', body }));
    if (!updated) return;
    if (action === 'end') editor.markSaved();
    toast(ACTIONS[action]?.done || 'C’est fait.');
    applySession(updated, { force: action === 'end' });
    channel.refresh();
  }

  async function remove(button) {
    const ok = await confirmDialog({
      title: 'Supprimer la session ?',
      message: 'Elle disparaîtra de l’historique de la partie. Cette action est définitive.',
      confirmLabel: 'Supprimer', danger: true,
    });
    if (!ok) return;
    const done = await runAction(button, actionError, async () => {
      await api(`/api/sessions/${sessionId}`, { method: 'DELETE' });
      return true;
    });
    if (!done) return;
    toast('Session supprimée.');
    ctx.navigate(`/parties/${state.partie.id}`);
  }

  /** My place at the table: from the participants list, or from what join/leave answered. */
  function mySeat() {
    if (state.participants) {
      return state.participants.find((p) => p.user_id === me.id && p.is_active) || null;
    }
    return state.ownSeat && state.ownSeat.is_active !== false && !state.ownSeat.left_at ? state.ownSeat : null;
  }

  function drawJoin() {
    const s = state.session;
    const seat = mySeat();
    const key = JSON.stringify([s.status, s.can_join, s.seated_players >= s.max_players, s.allow_late_join,
      seat && [seat.character_id, seat.character_name], state.characters.map((c) => c.id), state.unavailable.has('join')]);
    if (key === lastJoinKey) return;
    lastJoinKey = key;
    // Players: nothing to join in a finished session. The MJ takes their place once it is played.
    if (joinPanel) joinPanel.hidden = isFinal(s) && !seat;
    if (seatPanel) seatPanel.hidden = !isRunning(s);
    redrawKeepingFocus(joinBox, () => replace(joinBox, joinContent(s, seat)));
  }

  /** The draw panel follows the session's state and my seat (and its character). */
  let lastSeatKey = null;
  function drawTable() {
    const seat = mySeat();
    draws.update(state.session, seat);
    const s = state.session;
    chat.setWritable(!isFinal(s) && (isMJ || Boolean(seat)),
      isFinal(s) ? 'La session est finie : sa discussion est fermée.' : 'Rejoignez la session pour écrire dans la discussion.');
    if (!isMJ && (state.participants || state.unavailable.has('participants'))) channel.setSeated(Boolean(seat));
    const seatKey = seat ? `${seat.character_id || ''}` : '-';
    if (lastSeatKey !== null && seatKey !== lastSeatKey) {
      // Taking or giving up a seat may change what the server lets me read.
      chat.reset();
      draws.sync();
    }
    lastSeatKey = seatKey;
  }

  function joinContent(s, seat) {
    if (seat) {
      const leaveError = h('div');
      const leave = h('button', {
        type: 'button', class: 'btn', 'data-testid': 'leave-button',
        onClick: () => runAction(leave, leaveError, async () => {
          const left = await api(`/api/sessions/${sessionId}/leave`, { method: 'POST', body: {} });
          state.ownSeat = left;
          if (state.participants) state.participants = state.participants.map((p) => (p.user_id === me.id ? { ...p, ...left } : p));
          seatTried = true;
          toast('Vous avez quitté la session.');
          drawJoin();
          drawParticipants();
          drawTable();
          updatePresenceWish();
          channel.refresh();
        }),
      }, 'Quitter la session');
      const name = seat.character_name || characterName(seat.character_id);
      return [
        notice(isMJ && seat.role === 'master' ? 'Vous êtes à la table en tant que MJ.'
          : name ? `Vous êtes à la table avec ${name}.` : 'Vous êtes à la table.', 'success'),
        // Over the live channel the server seats the MJ as long as their page is open: leaving
        // would not last, so the MJ is not offered it.
        !isFinal(s) && !(isMJ && liveMode.mode !== 'polling') && h('div', { class: 'actions' }, leave),
        leaveError,
      ];
    }
    if (isFinal(s)) {
      return h('p', { class: 'muted' }, s.status === 'completed' ? 'Cette session est terminée.' : 'Cette session a été annulée.');
    }
    if (!s.can_join) {
      if (s.seated_players >= s.max_players) return notice(`La session est complète (${s.max_players} joueur·se·s au maximum).`, 'warning');
      if (isRunning(s) && !s.allow_late_join) {
        return notice('La session a commencé et n’accepte pas les arrivées tardives.', 'warning');
      }
      return notice('Vous ne pouvez pas rejoindre cette session pour l’instant.', 'warning');
    }
    if (state.unavailable.has('join')) {
      return notice('Rejoindre une session n’est pas encore possible sur ce serveur.', 'warning');
    }

    const hint = s.status === 'scheduled'
      ? 'La session n’a pas commencé : réservez votre place dès maintenant.'
      : 'La session est en cours : choisissez votre personnage et rejoignez la table.';
    const form = h('form', { class: 'form', 'data-testid': 'join-form' });
    const characters = state.characters;
    if (characters.length) {
      form.append(field({
        label: 'Personnage', name: 'character_id', type: 'select', required: !isMJ, 'data-testid': 'join-character',
        options: [
          ...(isMJ ? [{ value: '', label: 'Sans personnage (MJ)' }] : []),
          ...characters.map((c) => ({ value: c.id, label: c.name })),
        ],
      }));
    } else if (!isMJ) {
      form.append(h('p', { class: 'muted' }, 'Vous n’avez pas encore de personnage dans cette partie : créez-en un pour jouer.'));
    }
    form.append(formError(), h('div', { class: 'actions' },
      h('button', {
        type: 'submit', class: 'btn btn--primary', 'data-testid': 'join-button',
        disabled: !isMJ && !characters.length,
      }, isMJ ? 'Prendre place comme MJ' : 'Rejoindre')));
    onSubmit(form, async () => {
      const characterId = form.elements.character_id ? form.elements.character_id.value : '';
      let joined;
      try {
        joined = await api(`/api/sessions/${sessionId}/join`, { method: 'POST', body: characterId ? { character_id: characterId } : {} });
      } catch (error) {
        if (error.isMissingEndpoint) { state.unavailable.add('join'); drawJoin(); }
        throw error;
      }
      toast('Vous avez rejoint la session.');
      seated(joined);
    });
    return [
      h('p', {}, hint),
      form,
      !isMJ && h('details', { class: 'subtle', open: characters.length ? undefined : true },
        h('summary', {}, 'Créer un personnage'),
        characterForm(state.partie.id, async (character) => {
          state.characters = [...state.characters, character];
          lastJoinKey = '';
          drawJoin();
          const select = joinBox.querySelector('select[name=character_id]');
          if (select) { select.value = character.id; select.focus(); }
        })),
    ];
  }

  function characterName(id) {
    if (!id) return '';
    const mine = state.characters.find((c) => c.id === id);
    if (mine) return mine.name;
    const seated = (state.participants || []).find((p) => p.character_id === id && p.character_name);
    if (seated) return seated.character_name;
    const present = (state.presence || []).find((p) => p.character_id === id && p.character_name);
    return present ? present.character_name : '';
  }

  function drawLiveNote() {
    const { mode, reason } = liveMode;
    liveNote.dataset.mode = mode;
    liveNote.textContent = mode === 'live' ? 'En direct.'
      : mode === 'polling' ? (reason ? `${reason} Actualisation toutes les quelques secondes.` : 'Actualisation toutes les quelques secondes.')
        : 'Connexion au direct…';
    presencePanel.classList.toggle('is-live', mode === 'live' && !state.unavailable.has('presence') && isRunning(state.session));
  }

  function drawPresence() {
    drawLiveNote();
    if (state.unavailable.has('presence')) {
      replace(presenceBox, h('p', { class: 'muted' }, 'Le suivi des connexions n’est pas encore disponible sur ce serveur.'));
      return;
    }
    if (!state.presence) {
      replace(presenceBox, h('p', { class: 'loading' }, 'Chargement…'));
      return;
    }
    const list = [...state.presence].sort((a, b) => PRESENCE_ORDER[presenceOf(a)] - PRESENCE_ORDER[presenceOf(b)]
      || displayName(a).localeCompare(displayName(b), 'fr'));
    const online = list.filter((p) => presenceOf(p) === 'online').length;
    const idle = list.filter((p) => presenceOf(p) === 'idle').length;
    const counts = [
      online && `${online} personne${online > 1 ? 's' : ''} en ligne`,
      idle && `${idle} inactive${idle > 1 ? 's' : ''}`,
    ].filter(Boolean);
    replace(presenceBox,
      h('p', { class: 'muted' }, counts.length ? `${counts.join(', ')}.` : 'Personne n’est connecté pour l’instant.'),
      list.length > 0 && h('ul', { class: 'people', 'data-testid': 'presence-list' }, list.map((p) => {
        const status = presenceOf(p);
        const detail = [
          p.character_name ? `joue ${p.character_name}` : '',
          status === 'idle' && p.idle_since ? `inactif depuis ${formatTime(p.idle_since)}` : '',
          status === 'offline' && p.last_seen ? `vu·e à ${formatTime(p.last_seen)}` : '',
        ].filter(Boolean).join(' · ');
        return h('li', {
          class: ['person', `is-${status}`],
          'data-testid': 'presence-item',
          dataset: { userId: p.user_id, username: p.username, online: String(Boolean(p.is_online)), status },
        },
        h('span', { class: 'person__dot', 'aria-hidden': 'true' }),
        h('div', { class: 'person__body' },
          h('span', { class: 'person__name' }, displayName(p), p.user_id === me.id ? ' (vous)' : '',
            ' ', presenceLabel(status)),
          detail && h('span', { class: 'person__detail' }, detail)));
      })));
  }

  /** A presence.* event, shown at once (the lists are read again right after). */
  function applyPresenceEvent({ type, person }) {
    const status = { online: 'online', active: 'online', idle: 'idle', offline: 'offline' }[type];
    if (!status || !person || person.user_id == null) return;
    const now = new Date().toISOString();
    const patch = (p) => {
      if (p.user_id !== person.user_id) return p;
      const next = { ...p, status, is_online: status !== 'offline' };
      if (status === 'idle' && !p.idle_since) next.idle_since = now;
      if (status !== 'idle') next.idle_since = null;
      return next;
    };
    if (state.presence && state.presence.some((p) => p.user_id === person.user_id)) {
      state.presence = state.presence.map(patch);
      drawPresence();
    }
    if (state.participants && state.participants.some((p) => p.user_id === person.user_id)) {
      state.participants = state.participants.map((p) => (p.user_id === person.user_id
        ? { ...p, presence: status, is_online: status !== 'offline' } : p));
      drawParticipants();
    }
  }

  function drawParticipants() {
    if (state.unavailable.has('participants') || !state.participants) {
      const seat = state.ownSeat;
      replace(participantsBox,
        h('p', { class: 'muted' }, state.unavailable.has('participants')
          ? 'La liste des participants n’est pas encore disponible sur ce serveur.'
          : 'Chargement…'),
        seat && h('p', {}, 'Vous : ', seat.character_name || 'à la table'));
      return;
    }
    if (!state.participants.length) {
      replace(participantsBox, empty('Personne n’a encore rejoint cette session.'));
      return;
    }
    replace(participantsBox, h('ul', { class: 'people people--lined', 'data-testid': 'participants-list' },
      state.participants.map((p) => h('li', {
        class: ['person', `is-${presenceOf(p)}`, !p.is_active && 'is-gone'],
        'data-testid': 'participant', dataset: { userId: p.user_id, status: presenceOf(p) },
      },
      h('span', { class: 'person__dot', 'aria-hidden': 'true' }),
      h('div', { class: 'person__body' },
        h('span', { class: 'person__name' }, displayName(p), ' ', roleBadge(p.role), ' ', presenceLabel(presenceOf(p))),
        h('span', { class: 'person__detail' },
          p.character_name ? `joue ${p.character_name} · ` : '',
          `arrivé·e à ${formatTime(p.joined_at)}`,
          p.left_at ? ` · parti·e à ${formatTime(p.left_at)}` : '',
          p.total_time_minutes != null ? ` · ${formatDuration(p.total_time_minutes)} de jeu` : ''))))));
  }

  let lastReaderKey = '';
  function drawReader() {
    if (isMJ) return;
    const s = state.session;
    const key = JSON.stringify([s.status, s.summary, s.key_events, s.character_developments,
      (s.character_developments || []).map((d) => characterName(d.character_id))]);
    if (key === lastReaderKey) return;
    lastReaderKey = key;
    replace(readerBox, accountView(s, characterName));
  }

  /** The heartbeat keeps the caller online while they hold a seat in a session being played. */
  function updatePresenceWish() {
    channel.setPresence(isRunning(state.session) && Boolean(mySeat()));
  }

  /**
   * The MJ running the session is at the table: seated as master once, unless they left it. Over
   * the live channel the server does it when the socket opens; only while polling is it ours.
   */
  let seatTried = false;
  async function maybeSeatTheMJ() {
    if (!isMJ || seatTried || !isRunning(state.session) || mySeat()) return;
    if (liveMode.mode !== 'polling') return;
    if (!state.participants && !state.unavailable.has('participants')) return; // not known yet
    seatTried = true;
    try {
      seated(await api(`/api/sessions/${sessionId}/join`, { method: 'POST', body: {} }));
    } catch (error) {
      if (error.isMissingEndpoint) { state.unavailable.add('join'); drawJoin(); }
      // Otherwise the « Prendre place » button stays, and says why if pressed.
    }
  }

  /** What join answered: my seat, shown at once, before the next refresh confirms it. */
  function seated(joined) {
    state.ownSeat = joined;
    if (state.participants) {
      state.participants = [...state.participants.filter((p) => p.user_id !== me.id), { is_active: true, ...joined }];
    }
    drawJoin();
    drawParticipants();
    drawTable();
    updatePresenceWish();
    channel.refresh();
  }

  /** Once the session is over, its account is what the page is about: it moves to the top. */
  let accountOnTop = finished;
  function accountFirst() {
    if (accountOnTop) return;
    accountOnTop = true;
    const focused = document.activeElement; // moving a node takes the focus away from it
    if (isMJ) mainColumn.prepend(editor.element, settings.element);
    else mainColumn.prepend(readerPanel);
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  }

  let lastUpdated = state.session.updated_at;
  function applySession(s, { force = false } = {}) {
    const changed = force || s.updated_at !== lastUpdated || s.status !== state.session.status
      || s.online_count !== state.session.online_count || s.seated_players !== state.session.seated_players
      || s.can_join !== state.session.can_join;
    state.session = s;
    updatePresenceWish();
    maybeSeatTheMJ();
    if (!changed) return;
    lastUpdated = s.updated_at;
    if (isFinal(s)) accountFirst();
    drawHead();
    drawActions();
    drawJoin();
    drawTable();
    drawReader();
    drawPresence();
    if (editor) editor.update(s, { force });
    if (settings) settings.update(s, { force });
  }

  // --- Live updates.
  channel.on('session', (s) => applySession(s));
  channel.on('presence', (list) => { state.presence = list; drawPresence(); if (!isMJ) drawReader(); });
  channel.on('presence-event', applyPresenceEvent);
  channel.on('participants', (list) => {
    state.participants = list;
    drawParticipants();
    drawJoin();
    drawTable();
    updatePresenceWish();
    maybeSeatTheMJ();
    if (editor) editor.setKnownCharacters(knownCharacters());
    if (!isMJ) drawReader();
  });
  channel.on('unavailable', (feature) => {
    state.unavailable.add(feature);
    if (feature === 'presence') drawPresence();
    if (feature === 'participants') { drawParticipants(); drawTable(); }
  });
  channel.on('connection', ({ state: connection, retryIn, reason }) => {
    presencePanel.classList.toggle('is-stale', connection === 'lost');
    if (connection === 'lost') {
      connectionBanner.show(`${reason || 'Connexion perdue.'} Nouvelle tentative dans ${retryIn} s…`);
    } else {
      connectionBanner.hide();
    }
  });
  channel.on('chat', (message) => chat.receive(message));
  channel.on('draw', (draw) => draws.receive(draw));
  channel.on('sync', () => { chat.sync(); draws.sync(); });
  channel.on('mode', (mode) => {
    const wasPolling = liveMode.mode === 'polling';
    liveMode = mode;
    drawLiveNote();
    if (isMJ && wasPolling !== (mode.mode === 'polling')) { lastJoinKey = ''; drawJoin(); }
    if (mode.mode === 'polling') { updatePresenceWish(); maybeSeatTheMJ(); }
  });
  channel.on('gone', (error) => {
    channel.stop();
    showPageError(ctx, 'Session', error);
  });

  function knownCharacters() {
    const map = new Map();
    for (const c of state.characters) map.set(c.id, c.name);
    for (const p of state.participants || []) if (p.character_id) map.set(p.character_id, p.character_name || 'Personnage');
    for (const p of state.presence || []) if (p.character_id && !map.has(p.character_id)) map.set(p.character_id, p.character_name || 'Personnage');
    return map;
  }

  drawHead();
  drawActions();
  drawJoin();
  drawTable();
  drawPresence();
  drawParticipants();
  drawReader();
  if (editor) editor.setKnownCharacters(knownCharacters());
  chat.sync();
  draws.sync();
  channel.start();
  ctx.onCleanup(() => { channel.stop(); connectionBanner.hide(); });
}

const PRESENCE_LABELS = { online: 'en ligne', idle: 'inactif', offline: 'hors ligne' };
const PRESENCE_ORDER = { online: 0, idle: 1, offline: 2 };

/**
 * online, idle or offline: the server's `status` (presence list) or `presence` (participants);
 * from `is_online` alone with a server that does not tell idle people apart.
 */
function presenceOf(p) {
  const told = p.status || p.presence;
  if (told === 'online' || told === 'idle' || told === 'offline') return told;
  return p.is_online ? 'online' : 'offline';
}

/** The state, in words (not only the dot's colour). */
function presenceLabel(status) {
  return h('span', { class: `presence-state presence-state--${status}`, 'data-testid': 'presence-state', dataset: { status } },
    PRESENCE_LABELS[status] || status);
}

/** The account of a session as players read it. */
function accountView(s, characterName) {
  const parts = [];
  if (s.summary) {
    parts.push(h('h3', {}, 'Résumé'), prose(s.summary, 'prose summary__text'));
  }
  const events = [...(s.key_events || [])].sort((a, b) => new Date(a.timestamp) - new Date(b.timestamp));
  if (events.length) {
    const day = (iso) => new Date(iso).toDateString();
    const sessionDay = s.started_at ? day(s.started_at) : null;
    parts.push(h('h3', {}, 'Moments clés'), h('ol', { class: 'timeline' }, events.map((e) =>
      h('li', {},
        h('time', { datetime: e.timestamp, class: 'timeline__time' },
          day(e.timestamp) === sessionDay ? formatTime(e.timestamp) : formatDateTime(e.timestamp, { short: true })),
        ' ', e.event))));
  }
  const developments = s.character_developments || [];
  if (developments.length) {
    parts.push(h('h3', {}, 'Évolutions des personnages'), h('ul', { class: 'plain-list' }, developments.map((d) =>
      h('li', {}, h('strong', {}, characterName(d.character_id) || 'Un personnage'), ' : ', d.description))));
  }
  if (!parts.length) {
    const text = s.status === 'completed' ? 'Le MJ n’a pas encore écrit le compte rendu de cette session.'
      : s.status === 'cancelled' ? 'Cette session a été annulée.'
        : s.status === 'scheduled' ? 'Le compte rendu sera écrit par le MJ après la session.'
          : 'La session est en cours : le compte rendu viendra à la fin.';
    return h('div', { 'data-testid': 'session-summary-empty' }, empty(text));
  }
  return h('div', { 'data-testid': 'session-summary' }, parts);
}

/** The MJ's editor of the account: summary, key events, character developments, private notes. */
function accountEditor(state, channel, currentSession, exportButton) {
  const sessionId = state.session.id;
  let dirty = false;
  let known = new Map();
  const status = h('span', { class: 'muted save-state', role: 'status', 'aria-live': 'polite' });

  const summary = field({ label: 'Résumé (visible par les joueurs)', name: 'summary', type: 'textarea', rows: 6, maxlength: 20000, 'data-testid': 'summary-input' });
  const notes = field({ label: 'Notes privées du MJ (visibles de vous seul)', name: 'notes', type: 'textarea', rows: 4, maxlength: 20000 });
  const eventsList = h('ol', { class: 'rows', 'data-testid': 'key-events' });
  const devList = h('ul', { class: 'rows', 'data-testid': 'developments' });
  const devHint = h('p', { class: 'field__hint' });
  const addDevButton = h('button', {
    type: 'button', class: 'btn btn--small', 'data-testid': 'add-development',
    onClick: () => { addDevelopment(); markDirty(); },
  }, 'Ajouter une évolution');

  function markDirty() {
    dirty = true;
    status.textContent = 'Modifications non enregistrées.';
  }

  function addEvent(event = { event: '', timestamp: new Date().toISOString() }, focus = true) {
    const index = eventsList.children.length + 1;
    const timeId = uid('event-time');
    const textId = uid('event-text');
    const row = h('li', { class: 'row', 'data-testid': 'key-event' },
      h('div', { class: 'field field--time' },
        h('label', { for: timeId }, 'Heure'),
        h('input', { id: timeId, type: 'datetime-local', name: 'event_time', required: true, value: toLocalInput(event.timestamp) })),
      h('div', { class: 'field field--grow' },
        h('label', { for: textId }, 'Événement'),
        h('input', { id: textId, type: 'text', name: 'event_text', required: true, maxlength: 500, value: event.event })),
      h('button', {
        type: 'button', class: 'btn btn--small btn--icon', 'aria-label': `Supprimer l’événement ${index}`, title: 'Supprimer',
        onClick: () => { row.remove(); markDirty(); eventsList.querySelector('input')?.focus(); },
      }, '✕'));
    eventsList.append(row);
    if (focus) row.querySelector('input[name=event_text]').focus();
  }

  function addDevelopment(dev = { character_id: '', description: '' }, focus = true) {
    const index = devList.children.length + 1;
    const selectId = uid('dev-character');
    const textId = uid('dev-text');
    const options = [...known.entries()].map(([id, name]) => ({ value: id, label: name }));
    if (dev.character_id && !known.has(dev.character_id)) options.push({ value: dev.character_id, label: 'Personnage (inconnu ici)' });
    const select = h('select', { id: selectId, name: 'dev_character', required: true },
      options.map((o) => h('option', { value: o.value, selected: o.value === dev.character_id }, o.label)));
    const row = h('li', { class: 'row row--dev', 'data-testid': 'development' },
      h('div', { class: 'field' }, h('label', { for: selectId }, 'Personnage'), select),
      h('div', { class: 'field field--grow' },
        h('label', { for: textId }, 'Évolution'),
        h('textarea', { id: textId, name: 'dev_text', rows: 2, required: true, maxlength: 2000, value: dev.description })),
      h('button', {
        type: 'button', class: 'btn btn--small btn--icon', 'aria-label': `Supprimer l’évolution ${index}`, title: 'Supprimer',
        onClick: () => { row.remove(); markDirty(); },
      }, '✕'));
    devList.append(row);
    if (focus) select.focus();
  }

  let filled = '';
  const snapshot = (s) => JSON.stringify([s.summary, s.key_events, s.character_developments, s.notes]);

  function fill(s) {
    filled = snapshot(s);
    summary.querySelector('textarea').value = s.summary || '';
    notes.querySelector('textarea').value = s.notes || '';
    eventsList.replaceChildren();
    [...(s.key_events || [])].sort((a, b) => new Date(a.timestamp) - new Date(b.timestamp)).forEach((e) => addEvent(e, false));
    devList.replaceChildren();
    (s.character_developments || []).forEach((d) => addDevelopment(d, false));
    dirty = false;
    status.textContent = '';
  }

  /** The PUT/end body from the form's current content. */
  function collect() {
    const key_events = [...eventsList.children].map((row) => ({
      event: row.querySelector('[name=event_text]').value.trim(),
      timestamp: fromLocalInput(row.querySelector('[name=event_time]').value),
    }));
    const character_developments = [...devList.children].map((row) => ({
      character_id: row.querySelector('[name=dev_character]').value,
      description: row.querySelector('[name=dev_text]').value.trim(),
    }));
    const text = (name) => form.querySelector(`[name=${name}]`).value.trim() || null;
    return { body: { summary: text('summary'), key_events, character_developments, notes: text('notes') } };
  }

  const form = h('form', { class: 'form', 'data-testid': 'account-form', onInput: markDirty, onChange: markDirty },
    summary,
    h('fieldset', { class: 'fieldset' },
      h('legend', {}, 'Moments clés'),
      eventsList,
      h('button', {
        type: 'button', class: 'btn btn--small', 'data-testid': 'add-key-event',
        onClick: () => { addEvent(); markDirty(); },
      }, 'Ajouter un événement')),
    h('fieldset', { class: 'fieldset' },
      h('legend', {}, 'Évolutions des personnages'),
      devHint,
      devList,
      addDevButton),
    notes,
    formError(),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'save-account' }, 'Enregistrer le compte rendu'),
      status));

  onSubmit(form, async () => {
    const { body } = collect();
    if (body.key_events.some((e) => !e.timestamp)) {
      throw new ApiError(400, 'Chaque moment clé doit avoir une date et une heure.', 'key_events');
    }
    const updated = await api(`/api/sessions/${sessionId}`, { method: 'PUT', body });
    dirty = false;
    status.textContent = 'Compte rendu enregistré.';
    toast('Compte rendu enregistré.');
    fill(updated);
    status.textContent = 'Compte rendu enregistré.';
    channel.refresh();
  });

  fill(state.session);

  return {
    element: panel('Compte rendu', { id: 'account', actions: exportButton }, form),
    value: () => ({ summary: form.querySelector('[name=summary]').value }),
    collect,
    setSummary(text) { form.querySelector('[name=summary]').value = text; },
    markSaved() { dirty = false; status.textContent = ''; },
    update(s, { force = false } = {}) {
      // Only when the account itself changed: a new online count must not reset the form.
      if (force || (!dirty && snapshot(s) !== filled)) fill(s);
    },
    setKnownCharacters(map) {
      const before = JSON.stringify([...known]);
      known = map;
      addDevButton.disabled = known.size === 0;
      devHint.textContent = known.size === 0
        ? 'Les personnages apparaissent ici quand les joueurs rejoignent la session avec eux.'
        : '';
      if (before !== JSON.stringify([...known]) && !dirty) fill(currentSession());
    },
  };
}

/** The MJ's editor of the session's settings. */
function settingsEditor(state, channel) {
  const sessionId = state.session.id;
  let dirty = false;
  const form = h('form', { class: 'form form--grid', 'data-testid': 'settings-form', onInput: () => { dirty = true; } },
    field({ label: 'Nom', name: 'name', required: true, maxlength: 100, class: 'span-2' }),
    field({ label: 'Date prévue (heure locale)', name: 'scheduled_date', type: 'datetime-local' }),
    field({ label: 'Joueurs au maximum', name: 'max_players', type: 'number', min: 1, max: 20, required: true }),
    field({ label: 'Description', name: 'description', type: 'textarea', rows: 2, maxlength: 5000, class: 'span-2' }),
    field({ label: 'Salon vocal (facultatif)', name: 'voice_channel_id', maxlength: 100 }),
    field({ label: 'Accepter les arrivées après le début', name: 'allow_late_join', type: 'checkbox' }),
    formError(),
    h('div', { class: 'actions span-2' }, h('button', { type: 'submit', class: 'btn' }, 'Enregistrer les paramètres')));

  let filled = '';
  const snapshot = (s) => JSON.stringify([s.name, s.scheduled_date, s.max_players, s.description, s.voice_channel_id, s.allow_late_join]);

  function fill(s) {
    filled = snapshot(s);
    form.elements.name.value = s.name;
    form.elements.scheduled_date.value = toLocalInput(s.scheduled_date);
    form.elements.max_players.value = String(s.max_players);
    form.elements.description.value = s.description || '';
    form.elements.voice_channel_id.value = s.voice_channel_id || '';
    form.elements.allow_late_join.checked = Boolean(s.allow_late_join);
    dirty = false;
  }

  onSubmit(form, async () => {
    const text = (name) => form.elements[name].value.trim() || null;
    const body = {
      name: form.elements.name.value.trim(),
      scheduled_date: fromLocalInput(form.elements.scheduled_date.value),
      max_players: Number(form.elements.max_players.value),
      description: text('description'),
      voice_channel_id: text('voice_channel_id'),
      allow_late_join: form.elements.allow_late_join.checked,
    };
    const updated = await api(`/api/sessions/${sessionId}`, { method: 'PUT', body });
    fill(updated);
    toast('Paramètres enregistrés.');
    channel.refresh();
  });

  fill(state.session);
  return {
    element: h('details', { class: 'panel panel--details', id: 'settings' },
      h('summary', {}, h('h2', { class: 'panel__summary-title' }, 'Paramètres de la session')),
      form),
    update(s, { force = false } = {}) { if (force || (!dirty && snapshot(s) !== filled)) fill(s); },
  };
}

