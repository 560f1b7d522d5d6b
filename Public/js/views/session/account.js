// A session's account (« compte rendu »): its export as Markdown, the players' reading of it, and
// the MJ's editor (summary, key events, character developments, private notes).

import { ApiError, api } from '../../api.js';
import { h, replace, field, uid, formatDateTime, formatTime, fromLocalInput, toLocalInput, prose } from '../../dom.js';
import { formError, onSubmit, panel, toast } from '../../ui.js';
import { empty } from '../common.js';
import { markdownExportButton } from '../exports.js';
import { characterName } from './state.js';

/** The account as a Markdown file (the MJ's own copy holds their notes and secret draws). */
export function recapExportButton(state) {
  return markdownExportButton({
    path: `/api/sessions/${state.session.id}/recap.md`,
    label: 'Compte rendu (.md)',
    title: `Compte rendu — ${state.session.name}`,
    filename: 'compte-rendu.md',
    testid: 'export-recap',
    note: state.session.is_mj ? 'Votre version contient vos notes privées et vos tirages secrets : celle des joueurs ne les a pas.' : null,
  });
}

/** The players' « Compte rendu » panel, redrawn when the account or a character's name changes. */
export function accountReader(state, exportButton) {
  const box = h('div', { 'data-testid': 'account' });
  const element = panel('Compte rendu', { id: 'account', actions: exportButton }, box);
  let lastKey = '';
  const nameOf = (id) => characterName(state, id);
  return {
    element,
    draw() {
      const s = state.session;
      const key = JSON.stringify([s.status, s.summary, s.key_events, s.character_developments,
        (s.character_developments || []).map((d) => nameOf(d.character_id))]);
      if (key === lastKey) return;
      lastKey = key;
      replace(box, accountView(s, nameOf));
    },
  };
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
export function accountEditor(state, channel, exportButton) {
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
    isDirty: () => dirty,
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
      if (before !== JSON.stringify([...known]) && !dirty) fill(state.session);
    },
  };
}
