// Getting the table together: a member's answer to a scheduled session (RSVP), on the partie
// page's cards and on the session page, and the MJ's date polls with their grid.

import { api, displayName, session as auth } from '../api.js';
import { h, replace, field, fromLocalInput, timeElement, redrawKeepingFocus } from '../dom.js';
import { formError, notice, onSubmit, panel, reasonOf, runAction, toast } from '../ui.js';

export const ANSWERS = [['yes', 'Oui'], ['maybe', 'Peut-être'], ['no', 'Non']];
const LABEL = Object.fromEntries(ANSWERS);

/** « 2 oui · 1 peut-être · 0 non » */
export function rsvpCountsText(rsvp) {
  if (!rsvp) return '';
  return `${rsvp.yes} oui · ${rsvp.maybe} peut-être · ${rsvp.no} non`;
}

/** The three buttons, the caller's answer pressed; `comment` (an input) is sent with the answer. */
function answerButtons(sessionId, mine, { comment = null, errorBox, onAnswered, name }) {
  const buttons = ANSWERS.map(([value, label]) => h('button', {
    type: 'button',
    class: ['btn', 'btn--small', mine && mine.answer === value ? 'btn--primary' : null],
    'aria-pressed': String(Boolean(mine && mine.answer === value)),
    'data-testid': `rsvp-${value}`,
    onClick: (event) => runAction(event.currentTarget, errorBox, async () => {
      const body = { answer: value };
      if (comment) body.comment = comment.value.trim() || null;
      else if (mine && mine.comment) body.comment = mine.comment;
      const list = await api(`/api/sessions/${sessionId}/rsvp`, { method: 'PUT', body });
      toast(`Réponse enregistrée : ${label.toLowerCase()}.`);
      onAnswered(list);
    }),
  }, label));
  return h('div', { class: 'actions rsvp__buttons', role: 'group', 'aria-label': `Votre réponse pour ${name}` }, buttons);
}

/** On a session card of the partie page: the counts, and the buttons while answers are taken. */
export function rsvpCardLine(s, onAnswered) {
  const errorBox = h('div');
  const mine = s.rsvp && s.rsvp.mine;
  return h('div', { class: 'rsvp rsvp--card', 'data-testid': 'rsvp' },
    h('p', { class: 'card__meta', 'data-testid': 'rsvp-counts' },
      'Présences : ', rsvpCountsText(s.rsvp),
      mine ? h('span', { class: 'muted' }, ` · vous : ${LABEL[mine.answer].toLowerCase()}`) : ''),
    s.status === 'scheduled' && answerButtons(s.id, mine, { errorBox, onAnswered, name: s.name }),
    errorBox);
}

/**
 * The session page's « Qui vient ? »: the caller's answer with a comment, and everyone's. Returns
 * `{ element, update(session), refresh() }`; `refresh` reads the answers again (on `rsvp.answered`).
 */
export function rsvpPanel(sessionId) {
  let session = null;
  let list = null;
  const box = h('div', { 'data-testid': 'rsvp-panel' });
  const errorBox = h('div');
  const comment = h('input', {
    type: 'text', id: 'rsvp-comment', name: 'rsvp_comment', maxlength: 200,
    placeholder: 'Un mot (facultatif) : « en retard de 30 min »', 'data-testid': 'rsvp-comment',
  });
  const element = panel('Qui vient ?', { id: 'rsvp', class: 'rsvp' }, box, errorBox);

  function draw() {
    if (!session) return;
    const mine = session.rsvp && session.rsvp.mine;
    if (mine && document.activeElement !== comment) comment.value = mine.comment || '';
    const open = list ? list.open : session.status === 'scheduled';
    const answers = list ? list.answers : [];
    redrawKeepingFocus(box, () => replace(box,
      h('p', { 'data-testid': 'rsvp-counts' }, rsvpCountsText(session.rsvp)),
      open
        ? h('div', { class: 'stack' },
          h('div', { class: 'field' }, h('label', { for: 'rsvp-comment' }, 'Commentaire'), comment),
          answerButtons(sessionId, mine, { comment, errorBox, onAnswered: applyList, name: session.name }))
        : h('p', { class: 'muted' }, list && list.closed_reason ? list.closed_reason : 'Les réponses sont closes.'),
      answers.length
        ? h('ul', { class: 'plain-list rsvp__answers', 'data-testid': 'rsvp-answers' }, answers.map((a) =>
          h('li', { dataset: { userId: a.user_id, answer: a.answer } },
            h('strong', {}, displayName(a)), ` : ${LABEL[a.answer].toLowerCase()}`,
            a.comment ? h('span', { class: 'muted' }, ` — ${a.comment}`) : '')))
        : h('p', { class: 'muted' }, 'Personne n’a encore répondu.'),
      list && list.not_answered && list.not_answered.length
        ? h('p', { class: 'muted', 'data-testid': 'rsvp-pending' },
          'Sans réponse : ', list.not_answered.map(displayName).join(', '), '.')
        : null));
  }

  function applyList(fresh) {
    list = fresh;
    if (session) session = { ...session, rsvp: fresh.counts };
    draw();
  }

  async function refresh() {
    try {
      applyList(await api(`/api/sessions/${sessionId}/rsvps`));
    } catch (error) {
      replace(errorBox, notice(reasonOf(error), 'error'));
    }
  }

  let lastCounts = null;
  return {
    element,
    update(s) {
      session = s;
      const counts = JSON.stringify([s.rsvp, s.status]);
      if (counts !== lastCounts) {
        lastCounts = counts;
        refresh();
      }
      draw();
    },
    refresh,
  };
}

// --- Date polls -----------------------------------------------------------------------------

/**
 * The partie page's polls: the MJ's form, each open poll's grid (members × slots) where the
 * caller answers with one select per slot, and the MJ's choice of a slot. `{ element, refresh }`.
 */
export function pollsPanel(ctx, partieId, isMJ, onSessionCreated) {
  let polls = [];
  const box = h('div', { class: 'stack', 'data-testid': 'polls' });
  const children = [box];
  if (isMJ) children.unshift(pollForm(partieId, async () => { await refresh(); }));
  const element = panel('Sondages de dates', { id: 'polls' }, ...children);

  function draw() {
    const shown = polls.filter((p) => p.status === 'open').concat(polls.filter((p) => p.status !== 'open').slice(0, 2));
    redrawKeepingFocus(box, () => replace(box, shown.length
      ? shown.map((poll) => pollView(poll, { isMJ, replacePoll, onSessionCreated }))
      : h('p', { class: 'muted' }, isMJ ? 'Aucun sondage : proposez des dates ci-dessus.' : 'Aucun sondage en cours.')));
  }

  function replacePoll(poll) {
    polls = polls.map((p) => (p.id === poll.id ? poll : p));
    draw();
  }

  async function refresh() {
    const fresh = await api(`/api/parties/${partieId}/polls`, { signal: ctx.signal });
    if (JSON.stringify(fresh) !== JSON.stringify(polls)) {
      polls = fresh;
      draw();
    }
  }
  draw();
  return { element, refresh };
}

function pollView(poll, { isMJ, replacePoll, onSessionCreated }) {
  const me = auth.user || {};
  const errorBox = h('div');
  const answerOf = (userId, slotId) => poll.answers.find((a) => a.user_id === userId && a.slot_id === slotId);
  const open = poll.status === 'open';
  const slotHead = (slot) => h('th', { scope: 'col' }, timeElement(slot.starts_at, { short: true }));

  const cell = (member, slot) => {
    const answer = answerOf(member.user_id, slot.id);
    if (open && member.user_id === me.id) {
      const id = `poll-${poll.id}-${slot.id}`;
      return h('td', {},
        h('label', { class: 'sr-only', for: id }, `Votre disponibilité pour ce créneau`),
        h('select', {
          id, 'data-testid': 'poll-answer', dataset: { slotId: slot.id },
          onChange: (event) => runAction(null, errorBox, async () => {
            const value = event.currentTarget.value;
            if (!value) return;
            replacePoll(await api(`/api/polls/${poll.id}/answers`, {
              method: 'PUT', body: { answers: [{ slot_id: slot.id, answer: value }] },
            }));
          }),
        },
        h('option', { value: '', selected: !answer }, '—'),
        ANSWERS.map(([value, label]) => h('option', { value, selected: answer && answer.answer === value }, label))));
    }
    return h('td', { class: answer ? `poll__cell poll__cell--${answer.answer}` : 'poll__cell' },
      answer ? LABEL[answer.answer] : '—');
  };

  const chosen = poll.slots.find((slot) => slot.id === poll.chosen_slot_id);
  const table = h('div', { class: 'table-scroll' }, h('table', { class: 'poll__grid', 'data-testid': 'poll-grid' },
    h('caption', { class: 'sr-only' }, `Disponibilités pour « ${poll.name} »`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Membre'), poll.slots.map(slotHead))),
    h('tbody', {}, poll.members.map((member) => h('tr', { dataset: { userId: member.user_id } },
      h('th', { scope: 'row' }, displayName(member)), poll.slots.map((slot) => cell(member, slot))))),
    h('tfoot', {}, h('tr', {},
      h('th', { scope: 'row' }, 'Oui / peut-être'),
      poll.slots.map((slot) => h('td', { 'data-testid': 'poll-count' }, `${slot.yes} / ${slot.maybe}`))),
    isMJ && open ? h('tr', {}, h('th', { scope: 'row' }, 'Décider'),
      poll.slots.map((slot) => h('td', {}, h('button', {
        type: 'button', class: 'btn btn--small', 'data-testid': 'poll-choose',
        onClick: (event) => runAction(event.currentTarget, errorBox, async () => {
          const closed = await api(`/api/polls/${poll.id}/close`, { method: 'POST', body: { slot_id: slot.id } });
          toast(`Session « ${closed.name} » planifiée.`);
          replacePoll(closed);
          onSessionCreated();
        }),
      }, 'Choisir')))) : null)));

  const statusText = poll.status === 'open' ? 'ouvert'
    : poll.status === 'closed' ? ['clos : ', chosen ? timeElement(chosen.starts_at) : '',
      poll.session_id ? [' — ', h('a', { href: `#/sessions/${poll.session_id}` }, 'voir la session')] : '']
      : 'annulé';
  return h('article', { class: 'card poll', 'data-testid': 'poll', dataset: { key: poll.id, status: poll.status } },
    h('div', { class: 'card__row' }, h('h3', { class: 'card__title' }, poll.name)),
    h('p', { class: 'card__meta' }, 'Sondage ', statusText),
    poll.description && h('p', { class: 'card__desc muted' }, poll.description),
    table,
    isMJ && open && h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'btn btn--small btn--danger-outline', 'data-testid': 'poll-cancel',
      onClick: (event) => runAction(event.currentTarget, errorBox, async () => {
        replacePoll(await api(`/api/polls/${poll.id}/cancel`, { method: 'POST' }));
      }),
    }, 'Annuler le sondage')),
    errorBox);
}

function pollForm(partieId, onCreated) {
  const slots = h('div', { class: 'stack', 'data-testid': 'poll-slots' });
  let count = 0;
  const addSlot = () => {
    if (slots.children.length >= 10) return;
    count += 1;
    slots.append(field({ label: `Créneau ${slots.children.length + 1} (heure locale)`, name: `slot-${count}`, type: 'datetime-local', 'data-testid': 'poll-slot' }));
  };
  addSlot();
  addSlot();
  const form = h('form', { class: 'form form--grid', 'data-testid': 'poll-form' },
    field({ label: 'Nom de la session', name: 'name', required: true, maxlength: 100, class: 'span-2' }),
    field({ label: 'Description (facultatif)', name: 'description', type: 'textarea', rows: 2, maxlength: 5000, class: 'span-2' }),
    field({ label: 'Joueurs au maximum', name: 'max_players', type: 'number', min: 1, max: 20, value: '6', required: true }),
    field({ label: 'Accepter les arrivées après le début', name: 'allow_late_join', type: 'checkbox', checked: true }),
    h('div', { class: 'span-2' }, slots,
      h('button', { type: 'button', class: 'btn btn--small', onClick: addSlot }, 'Ajouter un créneau')),
    formError(),
    h('div', { class: 'actions span-2' }, h('button', { type: 'submit', class: 'btn btn--primary' }, 'Proposer ces dates')));
  onSubmit(form, async () => {
    const data = new FormData(form);
    const body = {
      name: String(data.get('name')).trim(),
      max_players: Number(data.get('max_players')),
      allow_late_join: data.get('allow_late_join') === 'on',
      slots: [...slots.querySelectorAll('input')].map((input) => fromLocalInput(input.value)).filter(Boolean),
    };
    const description = String(data.get('description') || '').trim();
    if (description) body.description = description;
    await api(`/api/parties/${partieId}/polls`, { method: 'POST', body });
    toast('Sondage proposé aux membres.');
    form.reset();
    await onCreated();
  });
  return h('details', { class: 'panel--details', 'data-testid': 'create-poll' },
    h('summary', {}, 'Proposer des dates'), form);
}
