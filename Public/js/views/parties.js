// My parties: the ones I lead and the ones I play in; create one, or join one with a code.

import { api, allPages, displayName } from '../api.js';
import { h, replace, field, formatDate } from '../dom.js';
import { formError, onSubmit, panel, roleBadge, toast } from '../ui.js';
import { loadOrExplain, empty } from './common.js';

export async function renderParties(ctx) {
  ctx.setTitle('Mes parties');
  const loaded = await loadOrExplain(ctx, 'Mes parties', async () => {
    const [parties, scenarios] = await Promise.all([
      allPages('/api/parties', { signal: ctx.signal }),
      api('/api/scenarios?per=100', { signal: ctx.signal }).then((page) => page.items).catch(() => []),
    ]);
    return { parties, scenarios };
  });
  if (!loaded) return;
  const { parties, scenarios } = loaded;

  const led = parties.filter((partie) => partie.role === 'mj');
  const played = parties.filter((partie) => partie.role !== 'mj');

  replace(ctx.main,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Mes parties'),
      h('p', { class: 'muted' }, parties.length
        ? `${parties.length} partie${parties.length > 1 ? 's' : ''}.`
        : 'Vous ne participez encore à aucune partie.')),
    h('div', { class: 'layout' },
      h('div', { class: 'layout__main' },
        partieList('Parties que je mène', 'parties-led', led, 'Vous ne menez aucune partie : créez-en une.'),
        partieList('Parties où je joue', 'parties-played', played,
          'Vous ne jouez dans aucune partie : ouvrez le lien d’invitation de votre MJ, ou saisissez son code.')),
      h('div', { class: 'layout__side' },
        createPartiePanel(ctx, scenarios),
        joinPanel(ctx),
        panel('Agenda', { id: 'agenda-hint' },
          h('p', { class: 'muted' }, 'Vos sessions prévues dans l’agenda de votre téléphone, mises à jour d’elles-mêmes.'),
          h('a', { class: 'btn btn--small', href: '#/compte', 'data-testid': 'agenda-link' }, 'Abonner mon agenda')))));
}

function partieList(title, id, parties, emptyText) {
  return panel(title, { id },
    parties.length
      ? h('ul', { class: 'cards', 'data-testid': id }, parties.map(partieCard))
      : empty(emptyText));
}

function partieCard(partie) {
  return h('li', { class: 'card card--link', 'data-testid': 'partie-card', dataset: { partieId: partie.id } },
    h('h3', { class: 'card__title' }, h('a', { href: `#/parties/${partie.id}` }, partie.name)),
    h('p', { class: 'card__meta' },
      roleBadge(partie.role), ' ',
      partie.role === 'mj' ? '' : `MJ : ${displayName(partie.mj)} · `,
      `${partie.member_count} membre${partie.member_count > 1 ? 's' : ''}`,
      partie.scenario_title ? ` · ${partie.scenario_title}` : ''),
    h('p', { class: 'card__meta muted' }, `Créée le ${formatDate(partie.created_at)}`));
}

function createPartiePanel(ctx, scenarios) {
  const newScenario = field({ label: 'Titre du nouveau scénario', name: 'scenario_title', maxlength: 200 });
  newScenario.hidden = true;
  const scenarioField = field({
    label: 'Scénario (facultatif)', name: 'scenario_id', type: 'select',
    options: [
      { value: '', label: 'Aucun' },
      ...scenarios.map((scenario) => ({ value: String(scenario.id), label: scenario.title })),
      { value: 'new', label: 'Nouveau scénario…' },
    ],
  });
  const select = scenarioField.querySelector('select');
  select.addEventListener('change', () => {
    newScenario.hidden = select.value !== 'new';
    newScenario.querySelector('input').required = select.value === 'new';
  });

  const form = h('form', { class: 'form', 'data-testid': 'create-partie-form' },
    field({ label: 'Nom de la partie', name: 'name', required: true, maxlength: 100 }),
    scenarioField,
    newScenario,
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--primary' }, 'Créer la partie')));

  onSubmit(form, async () => {
    const data = new FormData(form);
    const body = { name: String(data.get('name')).trim() };
    const choice = String(data.get('scenario_id') || '');
    if (choice === 'new') {
      const scenario = await api('/api/scenarios', { method: 'POST', body: { title: String(data.get('scenario_title')).trim() } });
      body.scenario_id = scenario.id;
    } else if (choice) {
      body.scenario_id = Number(choice);
    }
    const partie = await api('/api/parties', { method: 'POST', body });
    toast(`Partie « ${partie.name} » créée.`);
    ctx.navigate(`/parties/${partie.id}`);
  });
  return panel('Créer une partie', { id: 'create-partie' }, form);
}

function joinPanel(ctx) {
  const form = h('form', { class: 'form', 'data-testid': 'join-partie-form' },
    // 36: the mobile app's QR codes carry a bare UUID, which joins an imported partie too.
    field({ label: 'Code d’invitation', name: 'invite_code', required: true, maxlength: 36,
      autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
      hint: 'Le code que donne le MJ (ou scannez son QR code, ou celui de l’application).' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Rejoindre la partie')));
  onSubmit(form, async () => {
    const code = String(new FormData(form).get('invite_code')).trim();
    const partie = await api('/api/parties/join', { method: 'POST', body: { invite_code: code } });
    toast(`Vous avez rejoint « ${partie.name} ».`);
    ctx.navigate(`/parties/${partie.id}`);
  });
  return panel('Rejoindre une partie', { id: 'join-partie' }, form);
}
