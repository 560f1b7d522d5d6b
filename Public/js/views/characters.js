// The caller's characters: listing them and creating one, for a partie.

import { api, allPages } from '../api.js';
import { h, field } from '../dom.js';
import { formError, onSubmit, toast } from '../ui.js';

/** The caller's characters that may play in this partie: attached to it, or to none. */
export async function myCharacters(partieId, signal) {
  const all = await allPages('/api/characters', { signal });
  return all.filter((character) => character.partie_id === partieId || character.partie_id === null || character.partie_id === undefined);
}

/** A small form creating a character attached to the partie; `onCreated(character)` after. */
export function characterForm(partieId, onCreated, { label = 'Nom du personnage', submit = 'Créer le personnage' } = {}) {
  const form = h('form', { class: 'form form--inline', 'data-testid': 'create-character-form' },
    field({ label, name: 'name', required: true, maxlength: 100, autocomplete: 'off' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, submit)),
    formError());
  onSubmit(form, async () => {
    const name = String(new FormData(form).get('name')).trim();
    const character = await api('/api/characters', { method: 'POST', body: { name, partie_id: partieId } });
    form.reset();
    toast(`Personnage « ${character.name} » créé.`);
    await onCreated(character);
  });
  return form;
}
