// The MJ's « Paramètres de la session »: name, date, seats, description, voice channel, late arrivals.

import { api } from '../../api.js';
import { h, field, fromLocalInput, toLocalInput } from '../../dom.js';
import { formError, onSubmit, toast } from '../../ui.js';

/** The MJ's editor of the session's settings. */
export function settingsEditor(state, channel) {
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
    isDirty: () => dirty,
  };
}
