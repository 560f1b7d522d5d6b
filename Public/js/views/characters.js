// The caller's characters: listing them, creating one for a partie (with its suit, whose A–10 make
// its deck), and editing the sheet a test is drawn from.

import { api, allPages, ApiError } from '../api.js';
import { h, field } from '../dom.js';
import { formError, onSubmit, toast } from '../ui.js';

const SUIT_OPTIONS = [
  { value: '', label: '— (pique par défaut)' },
  { value: 'hearts', label: 'Cœur ♥' },
  { value: 'diamonds', label: 'Carreau ♦' },
  { value: 'clubs', label: 'Trèfle ♣' },
  { value: 'spades', label: 'Pique ♠' },
];

/** The caller's characters that may play in this partie: attached to it, or to none. */
export async function myCharacters(partieId, signal) {
  const all = await allPages('/api/characters', { signal });
  return all.filter((character) => character.partie_id === partieId || character.partie_id === null || character.partie_id === undefined);
}

/** A small form creating a character attached to the partie; `onCreated(character)` after. */
export function characterForm(partieId, onCreated, { label = 'Nom du personnage', submit = 'Créer le personnage' } = {}) {
  const form = h('form', { class: 'form form--inline', 'data-testid': 'create-character-form' },
    field({ label, name: 'name', required: true, maxlength: 100, autocomplete: 'off' }),
    field({ label: 'Figure (couleur de son paquet)', name: 'figure', type: 'select', options: SUIT_OPTIONS, 'data-testid': 'character-figure' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, submit)),
    formError());
  onSubmit(form, async () => {
    const data = new FormData(form);
    const name = String(data.get('name')).trim();
    const figure = String(data.get('figure') || '');
    const character = await api('/api/characters', { method: 'POST', body: { name, partie_id: partieId, ...(figure ? { figure } : {}) } });
    form.reset();
    toast(`Personnage « ${character.name} » créé.`);
    await onCreated(character);
  });
  return form;
}

/** « Bagarre 2 » lines, or « Colosse 1 > Force » for a capacity raising a characteristic. */
function parseLevels(text, field, what) {
  const lines = String(text || '').split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.map((line, index) => {
    const match = /^(.+?)\s+(-?\d+)(?:\s*>\s*(.+))?$/.exec(line);
    if (!match) throw new ApiError(400, `${what}, ligne ${index + 1} : « nom niveau » attendu, par exemple « Bagarre 2 ».`, field);
    return { name: match[1], level: Number(match[2]), ...(match[3] ? { raises: match[3].trim() } : {}) };
  });
}

const levelsText = (items) => (items || [])
  .map((item) => `${item.name} ${item.level}${item.raises ? ` > ${item.raises}` : ''}`).join('\n');

/** The sheet of `character` as a form; its effects and deck rows are kept as they are. */
export function sheetEditor(character, onSaved) {
  const sheet = character.sheet || { characteristics: [], skills: [], capacities: [], effects: [] };
  const scored = (key, label) => h('div', { class: 'draw-form__grid' },
    field({ label, name: `${key}_name`, maxlength: 40, value: (sheet[key] && sheet[key].name) || '' }),
    field({ label: `Score (${label.toLowerCase()})`, name: `${key}_score`, type: 'number', step: 1, min: -50, max: 50, value: sheet[key] ? String(sheet[key].score) : '' }));
  const form = h('form', { class: 'form', 'data-testid': 'sheet-form' },
    h('fieldset', {},
      h('legend', {}, 'Caractéristiques'),
      h('div', { class: 'draw-form__grid' }, (sheet.characteristics || []).map((c) =>
        field({ label: c.name, name: `characteristic:${c.name}`, type: 'number', step: 1, min: -50, max: 50, value: String(c.value), 'data-testid': `sheet-${c.name}` })))),
    field({ label: 'Compétences', hint: 'Une par ligne : « Bagarre 2 ».', name: 'skills', type: 'textarea', rows: 3, 'data-testid': 'sheet-skills' }),
    field({ label: 'Capacités', hint: 'Une par ligne : « Télékinésie 3 », ou « Colosse 1 > Force » si elle augmente une caractéristique.', name: 'capacities', type: 'textarea', rows: 3, 'data-testid': 'sheet-capacities' }),
    scored('profession', 'Profession'), scored('hobby', 'Hobby'), scored('voie', 'Voie étrange'),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', 'data-testid': 'sheet-save' }, 'Enregistrer la fiche')));
  // A textarea's text is its value, not an attribute.
  form.querySelector('[name=skills]').value = levelsText(sheet.skills);
  form.querySelector('[name=capacities]').value = levelsText(sheet.capacities);
  onSubmit(form, async () => {
    const data = new FormData(form);
    const score = (key) => {
      const name = String(data.get(`${key}_name`) || '').trim();
      if (!name) return null;
      return { name, score: Number(data.get(`${key}_score`) || 0) };
    };
    const body = {
      characteristics: (sheet.characteristics || []).map((c) => ({ ...c, value: Number(data.get(`characteristic:${c.name}`) || 0) })),
      skills: parseLevels(data.get('skills'), 'skills', 'Compétences'),
      capacities: parseLevels(data.get('capacities'), 'capacities', 'Capacités'),
      profession: score('profession'), hobby: score('hobby'), voie: score('voie'),
      effects: sheet.effects || [],
    };
    const saved = await api(`/api/characters/${encodeURIComponent(character.id)}/sheet`, { method: 'PUT', body });
    toast(`Fiche de « ${saved.name} » enregistrée.`);
    if (onSaved) await onSaved(saved);
  });
  return form;
}
