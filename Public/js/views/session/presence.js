// Who is there: the « Connecté·e·s » panel (the live channel's state and the people connected,
// online, idle or offline) and the « Participants » panel (who took a seat, and for how long).

import { displayName } from '../../api.js';
import { h, replace, formatDuration, formatTime } from '../../dom.js';
import { panel, roleBadge } from '../../ui.js';
import { empty } from '../common.js';
import { isRunning } from './state.js';

const PRESENCE_LABELS = { online: 'en ligne', idle: 'inactif', offline: 'hors ligne' };
const PRESENCE_ORDER = { online: 0, idle: 1, offline: 2 };

/** online, idle or offline: the server's `status` (presence list) or `presence` (participants). */
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

/**
 * The two panels, drawn from `state.presence`, `state.participants` and `state.ownSeat`.
 * @param {{state: object, me: {id: number}, liveMode: () => {mode: string, reason?: string}}} options
 */
export function presencePanels({ state, me, liveMode }) {
  const presenceBox = h('div', { 'data-testid': 'presence' });
  const participantsBox = h('div', { 'data-testid': 'participants' });
  const liveNote = h('p', { class: 'live-note muted', 'data-testid': 'live-state', role: 'status' });
  const presencePanel = panel('Connecté·e·s', { id: 'presence-panel', class: 'panel--live' }, presenceBox, liveNote);
  // One line at the top of the page: who is here right now, whatever part of the page is shown.
  const whoLine = h('p', { class: 'who-here', 'data-testid': 'who-is-here' });
  let stale = false;
  const participantsPanel = panel('Participants', { id: 'participants-panel' }, participantsBox);

  function drawLiveNote() {
    const { mode, reason } = liveMode();
    liveNote.dataset.mode = mode;
    liveNote.textContent = mode === 'live' ? 'En direct.'
      : mode === 'polling' ? (reason ? `${reason} Actualisation toutes les quelques secondes.` : 'Actualisation toutes les quelques secondes.')
        : 'Connexion au direct…';
    presencePanel.classList.toggle('is-live', mode === 'live' && isRunning(state.session));
  }

  function drawPresence() {
    drawLiveNote();
    if (!state.presence) {
      replace(presenceBox, h('p', { class: 'loading' }, 'Chargement…'));
      return;
    }
    const list = [...state.presence].sort((a, b) => PRESENCE_ORDER[presenceOf(a)] - PRESENCE_ORDER[presenceOf(b)]
      || displayName(a).localeCompare(displayName(b), 'fr'));
    drawWhoLine(list);
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

  function drawWhoLine(list) {
    const here = list.filter((p) => presenceOf(p) !== 'offline');
    const role = (p) => ((state.participants || []).find((q) => q.user_id === p.user_id && q.is_active) || {}).role;
    replace(whoLine,
      h('span', { class: 'who-here__label' }, stale ? 'Avant la coupure : ' : 'Ici : '),
      here.length ? here.map((p, index) => [
        index > 0 && ', ',
        h('span', { class: ['who-here__person', `is-${presenceOf(p)}`], 'data-testid': 'who-is-here-person', dataset: { status: presenceOf(p) } },
          h('span', { class: 'person__dot', 'aria-hidden': 'true' }),
          displayName(p), p.user_id === me.id ? ' (vous)' : '',
          role(p) === 'master' ? ' (MJ)' : '',
          presenceOf(p) === 'idle' ? ' (inactif)' : ''),
      ]) : 'personne pour l’instant.');
    // Cut to one line on a phone: the whole of it on hover (screen readers read it all anyway).
    whoLine.title = whoLine.textContent;
  }

  function drawParticipants() {
    if (!state.participants) {
      const seat = state.ownSeat;
      replace(participantsBox,
        h('p', { class: 'muted' }, 'Chargement…'),
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

  /** A presence.* event, shown at once (the lists are read again right after). */
  function applyEvent({ type, person }) {
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

  return {
    presencePanel,
    participantsPanel,
    drawLiveNote,
    drawPresence,
    drawParticipants,
    applyEvent,
    whoLine,
    /** The channel lost its connection: what is shown may be out of date, its dots go grey. */
    setStale(lost) {
      if (lost === stale) return;
      stale = lost;
      for (const box of [presencePanel, participantsPanel, whoLine]) box.classList.toggle('is-stale', lost);
      drawPresence();
    },
  };
}
