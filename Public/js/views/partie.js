// A partie: its sessions (running, coming, past), its members, the MJ's invitation QR code and
// session planning, and the caller's characters.

import { api, allPages, displayName, session as auth } from '../api.js';
import { h, replace, field, formatDate, formatDuration, fromLocalInput, timeElement, prose, redrawKeepingFocus } from '../dom.js';
import { confirmDialog, formError, notice, onSubmit, panel, playersCount, reasonOf, roleBadge, runAction, statusBadge, toast } from '../ui.js';
import { every } from '../live.js';
import { backLink, empty, loadOrExplain } from './common.js';
import { characterForm, myCharacters, sheetEditor } from './characters.js';
import { attendancePanel } from './attendance.js';
import { partieSettingsPanel } from './partie-settings.js';
import { handoutsPanel } from './handouts.js';
import { deleteCharacterButton } from './deletion.js';
import { pollsPanel, rsvpCardLine } from './scheduling.js';
import { seriesPanel } from './series.js';

const REFRESH_MS = 8000;

export async function renderPartie(ctx, partieId) {
  ctx.setTitle('Partie');
  const load = () => Promise.all([
    api(`/api/parties/${partieId}`, { signal: ctx.signal }),
    allPages(`/api/sessions?partie_id=${partieId}`, { signal: ctx.signal }),
    api(`/api/parties/${partieId}/members`, { signal: ctx.signal }),
    myCharacters(partieId, ctx.signal).catch(() => []),
  ]);
  const loaded = await loadOrExplain(ctx, 'Partie', load);
  if (!loaded) return;
  let [partie, sessions, members, characters] = loaded;
  const isMJ = partie.role === 'mj';
  ctx.setTitle(partie.name);

  const sessionsBox = h('div', { class: 'stack', 'data-testid': 'sessions' });
  const membersBox = h('div', { 'data-testid': 'members' });
  const charactersBox = h('div', { 'data-testid': 'my-characters' });
  const refreshNote = h('p', { class: 'refresh-note muted', role: 'status', 'aria-live': 'polite' });

  // An answer given on a card shows at once; the next refresh brings everyone else's.
  const answered = (id) => (list) => {
    sessions = sessions.map((s) => (s.id === id ? { ...s, rsvp: list.counts } : s));
    drawSessions();
  };
  const drawSessions = () => redrawKeepingFocus(sessionsBox, () => replace(sessionsBox, sessionSections(sessions, isMJ, answered)));
  const showMembers = () => {
    drawMembers();
    const title = document.getElementById('members-title');
    if (title) title.textContent = `Membres (${members.length})`;
  };
  const removed = (userId) => {
    members = members.filter((m) => m.user_id !== userId);
    showMembers();
  };
  const drawMembers = () => redrawKeepingFocus(membersBox, () => replace(membersBox, memberList(members, partie, removed)));
  const drawCharacters = () => replace(charactersBox,
    characters.length
      ? h('ul', { class: 'plain-list' }, characters.map((character) =>
        h('li', { 'data-testid': 'character' }, h('span', { class: 'character-name' }, character.name),
          deleteCharacterButton(character, () => {
            characters = characters.filter((c) => c.id !== character.id);
            drawCharacters();
          }),
          h('details', { class: 'subtle' }, h('summary', { 'data-testid': 'sheet-open' }, 'Fiche'),
            sheetEditor(character, (saved) => { characters = characters.map((c) => (c.id === saved.id ? saved : c)); })))))
      : empty('Aucun personnage pour cette partie.'));
  drawSessions();
  drawMembers();
  drawCharacters();

  const side = [];
  side.push(panel(`Membres (${members.length})`, { id: 'members' }, membersBox, !isMJ && leaveButton(ctx, partie)));
  side.push(panel('Mes personnages', { id: 'characters' }, charactersBox,
    characterForm(partieId, async (character) => {
      characters = [...characters, character];
      drawCharacters();
    })));

  // While nobody has joined yet, the MJ's first task is to invite: the QR code comes first.
  const invitation = isMJ ? invitationPanel(ctx, partie, (updated) => { partie = updated; }) : null;
  const lonely = members.length <= 1;
  const attendance = attendancePanel(ctx, partie);
  const refreshSessions = async () => {
    sessions = await allPages(`/api/sessions?partie_id=${partieId}`, { signal: ctx.signal });
    drawSessions();
  };
  const polls = pollsPanel(ctx, partieId, isMJ, () => refreshSessions().catch(() => {}));
  polls.refresh().catch(() => {});
  const series = seriesPanel(ctx, partieId, isMJ, () => refreshSessions().catch(() => {}));
  series.refresh().catch(() => {});
  const mainPanels = [
    lonely && invitation,
    isMJ && createSessionPanel(ctx, partieId, { open: sessions.length === 0 && !lonely }),
    panel('Sessions', { id: 'sessions' }, sessionsBox, refreshNote),
    polls.element,
    series.element,
    attendance.element,
    handoutsPanel(ctx, partie, members).element,
    !lonely && invitation,
    isMJ && partieSettingsPanel(ctx, partie, (updated) => {
      partie = { ...partie, ...updated };
      const title = ctx.main.querySelector('h1');
      if (title) title.textContent = partie.name;
      ctx.setTitle(partie.name);
    }),
  ];

  replace(ctx.main,
    backLink('#/parties', 'Mes parties'),
    h('div', { class: 'page-head' },
      h('h1', {}, partie.name),
      h('p', { class: 'page-head__meta' },
        roleBadge(partie.role), ' ',
        isMJ ? 'Vous êtes le MJ de cette partie.' : `MJ : ${displayName(partie.mj)}.`,
        partie.scenario_title ? ` Scénario : ${partie.scenario_title}.` : '')),
    h('div', { class: 'layout' },
      h('div', { class: 'layout__main' }, mainPanels),
      h('div', { class: 'layout__side' }, side)));

  // Keep sessions and members fresh while the page is open (a running session appears by itself),
  // and at once when someone answers a poll or a session (`/changes`, below).
  const refresh = async () => {
    try {
      const [freshSessions, freshMembers] = await Promise.all([
        allPages(`/api/sessions?partie_id=${partieId}`, { signal: ctx.signal }),
        api(`/api/parties/${partieId}/members`, { signal: ctx.signal }),
        polls.refresh(), // the poll grid follows the others' answers at the same pace
        series.refresh(), // and the series their occurrences as the horizon moves
      ]);
      refreshNote.textContent = '';
      if (JSON.stringify(freshSessions) !== JSON.stringify(sessions)) {
        // A session that starts, ends or changes state also changes who attended what.
        const played = (list) => JSON.stringify(list.map((s) => [s.id, s.status, s.duration_minutes]));
        const attendanceChanged = played(freshSessions) !== played(sessions);
        sessions = freshSessions;
        drawSessions();
        if (attendanceChanged) attendance.refresh();
      }
      if (JSON.stringify(freshMembers) !== JSON.stringify(members)) {
        members = freshMembers;
        showMembers();
        attendance.refresh(); // a newcomer gets a row (« — » for the sessions before them)
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
      refreshNote.textContent = error.isNetwork
        ? 'Connexion perdue : la liste sera mise à jour dès que possible.'
        : reasonOf(error);
    }
  };
  const stop = every(REFRESH_MS, refresh);
  ctx.onCleanup(stop);
  watchChanges(partieId, refresh, ctx);
}

/**
 * Waits on the partie's next change (the server holds the request until then, 25 s at most) and
 * refreshes when it comes: the poll grid moves as the others answer. After an error it waits a
 * little, the periodic refresh standing in meanwhile.
 */
async function watchChanges(partieId, refresh, ctx) {
  let seen = null;
  while (!ctx.signal.aborted) {
    try {
      const query = seen === null ? '' : `?after=${seen}`;
      const { revision } = await api(`/api/parties/${partieId}/changes${query}`, { signal: ctx.signal });
      if (seen !== null && revision !== seen) await refresh();
      seen = revision;
    } catch (error) {
      if (error.name === 'AbortError' || ctx.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}

function byDate(field, direction = 1) {
  return (a, b) => direction * (new Date(a[field] || a.created_at) - new Date(b[field] || b.created_at));
}

function sessionSections(sessions, isMJ, answered) {
  const running = sessions.filter((s) => s.status === 'active' || s.status === 'paused');
  const coming = sessions.filter((s) => s.status === 'scheduled').sort(byDate('scheduled_date'));
  const past = sessions.filter((s) => s.status === 'completed' || s.status === 'cancelled')
    .sort(byDate('ended_at', -1));
  if (!sessions.length) {
    return empty(isMJ ? 'Aucune session pour l’instant : planifiez la première.' : 'Aucune session pour l’instant.');
  }
  return [
    running.length ? group('En cours', 'sessions-running', running, isMJ, '', answered) : null,
    group('À venir', 'sessions-scheduled', coming, isMJ, 'Aucune session prévue.', answered),
    group('Historique', 'sessions-past', past, isMJ, 'Aucune session passée.', answered),
  ];
}

function group(title, id, sessions, isMJ, emptyText, answered) {
  return h('div', { class: 'session-group', 'data-testid': id },
    h('h3', { class: 'session-group__title' }, title),
    sessions.length ? h('ul', { class: 'cards' }, sessions.map((s) => sessionCard(s, isMJ, answered(s.id)))) : empty(emptyText));
}

function sessionCard(s, isMJ, answered) {
  const link = `#/sessions/${s.id}`;
  let when;
  if (s.status === 'scheduled') {
    when = s.scheduled_date ? ['Prévue le ', timeElement(s.scheduled_date)] : ['Date à fixer'];
  } else if (s.status === 'cancelled') {
    when = ['Annulée', s.ended_at ? [' le ', timeElement(s.ended_at, { short: true })] : ''];
  } else if (s.status === 'completed') {
    when = ['Jouée le ', timeElement(s.started_at || s.ended_at, { short: true }),
      s.duration_minutes != null ? ` · ${formatDuration(s.duration_minutes)}` : ''];
  } else {
    when = ['Commencée le ', timeElement(s.started_at, { short: true }),
      ` · ${s.online_count} connecté·e${s.online_count > 1 ? 's' : ''}`,
      ` · ${s.seated_players}/${playersCount(s.max_players)}`];
  }
  const running = s.status === 'active' || s.status === 'paused';
  return h('li', { class: `card session-card session-card--${s.status}`, 'data-testid': 'session-card', dataset: { sessionId: s.id, status: s.status, key: s.id } },
    h('div', { class: 'card__row' },
      h('h4', { class: 'card__title' }, h('a', { href: link }, s.name)),
      statusBadge(s.status)),
    h('p', { class: 'card__meta' }, when),
    s.description && h('p', { class: 'card__desc muted' }, s.description),
    s.status === 'scheduled' && rsvpCardLine(s, answered),
    s.summary && h('div', { class: 'summary' },
      h('h5', {}, 'Résumé'),
      prose(s.summary, 'prose summary__text')),
    (running || isMJ) && h('div', { class: 'actions' },
      running && !isMJ && s.can_join
        ? h('a', { class: 'btn btn--primary btn--small', href: link, 'data-testid': 'open-session' }, 'Rejoindre')
        : h('a', { class: 'btn btn--small', href: link, 'data-testid': 'open-session' }, isMJ ? 'Gérer' : 'Ouvrir')));
}

function memberList(members, partie, removed) {
  const me = auth.user;
  return h('ul', { class: 'plain-list members' }, members.map((member) =>
    h('li', { 'data-testid': 'member', dataset: { userId: member.user_id } },
      h('span', { class: 'member__name' }, displayName(member),
        me && me.id === member.user_id ? h('span', { class: 'muted' }, ' (vous)') : ''),
      ' ', roleBadge(member.role),
      h('span', { class: 'muted member__since' }, ` depuis le ${formatDate(member.joined_at)}`),
      partie.role === 'mj' && member.role !== 'mj' && removeButton(partie, member, removed))));
}

// The MJ takes a member out of the partie: their seat in a running session ends, what they wrote stays.
function removeButton(partie, member, removed) {
  const button = h('button', {
    type: 'button', class: 'btn btn--small btn--danger-outline', 'data-testid': 'remove-member',
    'aria-label': `Retirer ${displayName(member)} de la partie`,
    onClick: async () => {
      const ok = await confirmDialog({
        title: `Retirer ${displayName(member)} de la partie ?`,
        message: 'Sa place dans une session en cours prend fin et sa connexion est fermée. Ses messages, ses tirages et son temps de jeu restent ; ses personnages le suivent. Le code d’invitation lui permettrait de revenir.',
        confirmLabel: 'Retirer', danger: true,
      });
      if (!ok) return;
      await runAction(button, null, async () => {
        await api(`/api/parties/${partie.id}/members/${member.user_id}`, { method: 'DELETE' });
        toast(`${displayName(member)} ne fait plus partie de la partie.`);
        removed(member.user_id);
      });
    },
  }, 'Retirer');
  return [' ', button];
}

function leaveButton(ctx, partie) {
  const errorBox = h('div');
  const button = h('button', {
    type: 'button', class: 'btn btn--small btn--danger-outline', 'data-testid': 'leave-partie',
    onClick: async () => {
      const ok = await confirmDialog({
        title: `Quitter « ${partie.name} » ?`,
        message: 'Votre place dans une session en cours prend fin. Vos messages, vos tirages et votre temps de jeu restent dans la partie ; vos personnages vous suivent. Pour revenir, il faudra le code d’invitation du MJ.',
        confirmLabel: 'Quitter la partie', danger: true,
      });
      if (!ok) return;
      await runAction(button, errorBox, async () => {
        await api(`/api/parties/${partie.id}/members/me`, { method: 'DELETE' });
        toast(`Vous avez quitté « ${partie.name} ».`);
        ctx.navigate('/parties');
      });
    },
  }, 'Quitter la partie');
  return h('div', { class: 'actions' }, button, errorBox);
}

function createSessionPanel(ctx, partieId, { open = false } = {}) {
  const form = h('form', { class: 'form form--grid', 'data-testid': 'create-session-form' },
    field({ label: 'Nom de la session', name: 'name', required: true, maxlength: 100, class: 'span-2' }),
    field({ label: 'Date prévue (heure locale)', name: 'scheduled_date', type: 'datetime-local' }),
    field({ label: 'Joueurs au maximum', name: 'max_players', type: 'number', min: 1, max: 20, value: '6', required: true }),
    field({ label: 'Description (facultatif)', name: 'description', type: 'textarea', rows: 2, maxlength: 5000, class: 'span-2' }),
    field({ label: 'Accepter les arrivées après le début', name: 'allow_late_join', type: 'checkbox', checked: true, class: 'span-2' }),
    formError(),
    h('div', { class: 'actions span-2' }, h('button', { type: 'submit', class: 'btn btn--primary' }, 'Planifier la session')));
  onSubmit(form, async () => {
    const data = new FormData(form);
    const body = {
      partie_id: partieId,
      name: String(data.get('name')).trim(),
      max_players: Number(data.get('max_players')),
      allow_late_join: data.get('allow_late_join') === 'on',
    };
    const description = String(data.get('description') || '').trim();
    if (description) body.description = description;
    const date = fromLocalInput(String(data.get('scheduled_date') || ''));
    if (date) body.scheduled_date = date;
    const created = await api('/api/sessions', { method: 'POST', body });
    toast(`Session « ${created.name} » planifiée.`);
    ctx.navigate(`/sessions/${created.id}`);
  });
  return h('details', { class: 'panel panel--details', id: 'create-session', 'data-testid': 'create-session', open },
    h('summary', {}, h('h2', { class: 'panel__summary-title' }, 'Planifier une session')),
    form);
}

function invitationPanel(ctx, initial, onChange) {
  let partie = initial;
  let objectUrl = null;
  const image = h('img', { class: 'qr__image', alt: 'QR code du lien d’invitation', width: 320, height: 320, 'data-testid': 'invite-qr' });
  const imageBox = h('div', { class: 'qr' }, h('p', { class: 'loading', 'aria-busy': 'true' }, 'QR code…'));
  const linkInput = h('input', { type: 'text', readonly: true, id: 'invite-link', name: 'invite_link', class: 'mono', 'data-testid': 'invite-url', value: partie.invite_url || '' });
  const codeText = h('strong', { class: 'mono', 'data-testid': 'invite-code' }, partie.invite_code || '');
  const errorBox = h('div');

  async function loadQR() {
    try {
      const response = await api(`/api/parties/${partie.id}/invite.svg`, { raw: true, signal: ctx.signal });
      const blob = await response.blob();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(blob);
      image.src = objectUrl;
      replace(imageBox, image);
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(imageBox, notice(`QR code indisponible : ${reasonOf(error)}`, 'error',
        h('button', { type: 'button', class: 'btn btn--small', onClick: loadQR }, 'Réessayer')));
    }
  }
  loadQR();
  ctx.onCleanup(() => { if (objectUrl) URL.revokeObjectURL(objectUrl); });

  const copyButton = h('button', {
    type: 'button', class: 'btn btn--small',
    onClick: async () => {
      try {
        await navigator.clipboard.writeText(linkInput.value);
      } catch {
        linkInput.select();
        document.execCommand('copy');
      }
      toast('Lien copié.');
    },
  }, 'Copier le lien');

  const enlargeButton = h('button', {
    type: 'button', class: 'btn btn--small',
    onClick: () => {
      const big = h('img', { class: 'qr__image qr__image--big', alt: 'QR code du lien d’invitation, agrandi', src: image.src });
      confirmDialog({
        title: `Rejoindre « ${partie.name} »`,
        message: 'Scannez ce code avec l’appareil photo de votre téléphone.',
        content: h('div', { class: 'qr qr--big' }, big, h('p', { class: 'mono center' }, linkInput.value)),
        confirmLabel: 'Fermer', cancelLabel: null,
      });
    },
  }, 'Agrandir');

  const rotateButton = h('button', {
    type: 'button', class: 'btn btn--small btn--danger-outline', 'data-testid': 'rotate-invite',
    onClick: async () => {
      const ok = await confirmDialog({
        title: 'Changer le code d’invitation ?',
        message: 'L’ancien lien et l’ancien QR code ne fonctionneront plus. Les membres actuels restent dans la partie.',
        confirmLabel: 'Changer le code', danger: true,
      });
      if (!ok) return;
      await runAction(rotateButton, errorBox, async () => {
        partie = await api(`/api/parties/${partie.id}/invite/rotate`, { method: 'POST' });
        onChange(partie);
        linkInput.value = partie.invite_url || '';
        codeText.textContent = partie.invite_code || '';
        await loadQR();
        toast('Nouveau code d’invitation créé.');
      });
    },
  }, 'Changer le code');

  return panel('Invitation des joueurs', { id: 'invitation' },
    h('div', { class: 'invite' },
      imageBox,
      h('div', { class: 'invite__details' },
        h('p', { class: 'muted' }, 'Faites scanner ce QR code avec un téléphone, ou envoyez le lien : il ouvre la partie à qui se connecte ou s’inscrit.'),
        h('div', { class: 'field' },
          h('label', { for: 'invite-link' }, 'Lien d’invitation'),
          linkInput),
        h('p', {}, 'Code : ', codeText),
        h('div', { class: 'actions' }, copyButton, enlargeButton, rotateButton),
        errorBox)));
}
