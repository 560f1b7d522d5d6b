// A partie's attendance: who came to which played session (✓ / ✗ / —), totals, and a small bar
// chart of the time each person played; with the campaign log as Markdown.

import { api, displayName, session as auth } from '../api.js';
import { h, replace, formatDate, formatDuration, redrawKeepingFocus, uid } from '../dom.js';
import { notice, panel, reasonOf, roleBadge } from '../ui.js';
import { empty } from './common.js';
import { markdownExportButton } from './exports.js';

const MARKS = {
  attended: { mark: '✓', words: 'présent·e' },
  missed: { mark: '✗', words: 'absent·e' },
  not_member: { mark: '—', words: 'pas encore membre' },
  not_yet: { mark: '…', words: 'pas (encore) là, session en cours' },
};

/** What they had answered before the session (RSVP), beside what happened. */
const RSVP_WORDS = { yes: 'avait dit oui', maybe: 'avait dit peut-être', no: 'avait dit non' };

/**
 * The « Assiduité » panel. Returns `{ element, refresh }`: the page calls `refresh()` when its
 * list of sessions changes (a session ends, another starts).
 */
export function attendancePanel(ctx, partie) {
  const box = h('div', { 'data-testid': 'attendance', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Chargement…'));
  let lastKey = '';

  async function load() {
    try {
      const data = await api(`/api/parties/${partie.id}/attendance`, { signal: ctx.signal });
      box.removeAttribute('aria-busy');
      const key = JSON.stringify(data);
      if (key === lastKey) return;
      lastKey = key;
      redrawKeepingFocus(box, () => replace(box, attendanceView(data)));
    } catch (error) {
      if (error && error.name === 'AbortError') return;
      box.removeAttribute('aria-busy');
      // A table already shown stays; the next refresh tries again.
      if (lastKey) return;
      replace(box, notice(`Assiduité indisponible : ${reasonOf(error)}`, 'error',
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn--small', onClick: load }, 'Réessayer'))));
    }
  }
  load();

  const logButton = markdownExportButton({
    path: `/api/parties/${partie.id}/log.md`,
    label: 'Journal de campagne (.md)',
    title: `Journal de campagne — ${partie.name}`,
    filename: 'journal-de-campagne.md',
    testid: 'export-log',
    note: partie.role === 'mj'
      ? 'Votre version contient vos notes privées et vos tirages secrets : celle des joueurs ne les a pas.'
      : null,
  });

  const element = panel('Assiduité', { id: 'attendance', actions: logButton }, box);
  return { element, refresh: load };
}

function attendanceView(data) {
  const sessions = data.sessions || [];
  const players = data.players || [];
  if (!sessions.length) {
    return empty('Aucune session jouée pour l’instant : la présence de chacun apparaîtra ici après la première.');
  }
  return [
    attendanceTable(sessions, players),
    minutesChart(players),
  ];
}

function attendanceTable(sessions, players) {
  const me = auth.user;
  const captionId = uid('attendance-caption');
  const head = h('tr', {},
    h('th', { scope: 'col', class: 'attendance__who' }, 'Joueur·se'),
    sessions.map((s, index) => h('th', { scope: 'col', class: 'attendance__session', dataset: { sessionId: s.session_id } },
      h('a', { href: `#/sessions/${s.session_id}`, title: s.name }, h('span', { class: 'attendance__session-name' }, s.name || `Session ${index + 1}`)),
      s.started_at && h('span', { class: 'attendance__date' }, formatDate(s.started_at)),
      s.status !== 'completed' && h('span', { class: 'attendance__date' }, 'en cours'))),
    h('th', { scope: 'col', class: 'num' }, h('abbr', { title: 'Sessions où la personne était présente' }, 'Prés.')),
    h('th', { scope: 'col', class: 'num' }, h('abbr', { title: 'Sessions manquées' }, 'Abs.')),
    h('th', { scope: 'col', class: 'num' }, 'Temps de jeu'));

  const rows = players.map((player) => {
    const bySession = new Map((player.sessions || []).map((cell) => [cell.session_id, cell]));
    return h('tr', { 'data-testid': 'attendance-row', dataset: { userId: player.user_id, username: player.username } },
      h('th', { scope: 'row', class: 'attendance__who' },
        h('span', { class: 'attendance__name' }, displayName(player)),
        me && me.id === player.user_id ? h('span', { class: 'muted' }, ' (vous)') : '',
        player.is_mj ? [' ', roleBadge('mj')] : ''),
      sessions.map((s) => {
        const cell = bySession.get(s.session_id) || { status: 'not_member', minutes_played: 0 };
        const spec = MARKS[cell.status] || { mark: '?', words: cell.status };
        const minutes = cell.status === 'attended' && cell.minutes_played ? formatDuration(cell.minutes_played) : '';
        return h('td', {
          class: ['attendance__cell', `attendance__cell--${cell.status}`],
          'data-testid': 'attendance-cell',
          dataset: { status: cell.status, sessionId: s.session_id },
        },
        h('span', { class: 'attendance__mark', 'aria-hidden': 'true' }, spec.mark),
        h('span', { class: 'sr-only' }, minutes ? `${spec.words}, ${minutes}` : spec.words),
        minutes && h('span', { class: 'attendance__minutes', 'aria-hidden': 'true' }, minutes),
        cell.rsvp && h('span', { class: 'attendance__rsvp', 'data-testid': 'attendance-rsvp', dataset: { rsvp: cell.rsvp } },
          ` (${RSVP_WORDS[cell.rsvp] || cell.rsvp})`));
      }),
      h('td', { class: 'num', 'data-testid': 'attendance-attended' }, String(player.attended ?? 0)),
      h('td', { class: 'num', 'data-testid': 'attendance-missed' }, String(player.missed ?? 0)),
      h('td', { class: 'num', 'data-testid': 'attendance-minutes' }, formatDuration(player.minutes_played ?? 0)));
  });

  // Many sessions make a wide table: it scrolls on its own, the page does not.
  return [
    h('p', { class: 'attendance__legend muted', 'aria-hidden': 'true' },
      h('span', { class: 'attendance__key attendance__key--attended' }, '✓'), ' présent·e · ',
      h('span', { class: 'attendance__key attendance__key--missed' }, '✗'), ' absent·e · ',
      h('span', { class: 'attendance__key attendance__key--not_member' }, '—'), ' pas encore membre · ',
      h('span', { class: 'attendance__key attendance__key--not_yet' }, '…'), ' pas (encore) là'),
    h('div', { class: 'table-scroll', role: 'region', 'aria-labelledby': captionId, tabindex: '0' },
      h('table', { class: 'attendance', 'data-testid': 'attendance-table' },
        h('caption', { id: captionId, class: 'sr-only' }, 'Présence de chacun aux sessions jouées, de la plus ancienne à la plus récente'),
        h('thead', {}, head),
        h('tbody', {}, rows))),
  ];
}

/** Minutes played per person, as horizontal bars (plain CSS); the numbers are written beside them. */
function minutesChart(players) {
  const max = Math.max(0, ...players.map((p) => p.minutes_played || 0));
  const titleId = uid('attendance-chart');
  const sorted = [...players].sort((a, b) => (b.minutes_played || 0) - (a.minutes_played || 0)
    || displayName(a).localeCompare(displayName(b), 'fr'));
  return h('figure', { class: 'bars', 'data-testid': 'attendance-chart', 'aria-labelledby': titleId },
    h('figcaption', { id: titleId, class: 'bars__title' }, 'Temps de jeu par personne'),
    max === 0 && h('p', { class: 'muted bars__note' }, 'Aucune minute de jeu comptée pour l’instant.'),
    h('ul', { class: 'bars__list' }, sorted.map((player) => {
      const minutes = player.minutes_played || 0;
      const fill = h('span', { class: 'bars__fill' });
      // At least a sliver for anyone who played a minute, so they do not look absent.
      fill.style.width = `${minutes ? Math.max(2, Math.round((minutes / max) * 100)) : 0}%`;
      return h('li', { class: 'bars__item', 'data-testid': 'attendance-bar', dataset: { userId: player.user_id, minutes } },
        h('span', { class: 'bars__label' }, displayName(player)),
        h('span', { class: 'bars__track', 'aria-hidden': 'true' }, fill),
        h('span', { class: 'bars__value' }, formatDuration(minutes)));
    })));
}
