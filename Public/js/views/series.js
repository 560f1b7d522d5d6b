// Recurring sessions on the partie page: the MJ's series form (a rhythm, a first date, a time in
// a named time zone) and each series with its occurrences, which are normal sessions.

import { api } from '../api.js';
import { h, replace, field, redrawKeepingFocus } from '../dom.js';
import { formError, onSubmit, panel, runAction, toast } from '../ui.js';

const DEFAULT_ZONE = 'Europe/Paris';

/** « vendredi 14 mars, 20:30 », in the series' own time zone (not the reader's). */
function inZone(iso, timeZone) {
  return new Intl.DateTimeFormat('fr-FR', {
    timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
  }).format(new Date(iso));
}

function endText(series) {
  return series.count ? `${series.count} séance${series.count > 1 ? 's' : ''}` : `jusqu’au ${series.until}`;
}

/**
 * The partie page's series: `{ element, refresh }`. `onChanged` is called when sessions were
 * made, moved or cancelled, so that the sessions list follows.
 */
export function seriesPanel(ctx, partieId, isMJ, onChanged) {
  let list = [];
  const box = h('div', { class: 'stack', 'data-testid': 'series-list' });
  const children = [box];
  if (isMJ) children.unshift(seriesForm(partieId, async () => { await refresh(); onChanged(); }));
  const element = panel('Sessions récurrentes', { id: 'series' }, ...children);

  function draw() {
    const shown = list.filter((s) => s.occurrences.length > 0);
    redrawKeepingFocus(box, () => replace(box, shown.length
      ? shown.map((series) => seriesView(series, { isMJ, changed }))
      : h('p', { class: 'muted' }, isMJ ? 'Aucune série : programmez-en une ci-dessus.' : 'Aucune session récurrente.')));
  }

  async function changed() {
    await refresh();
    onChanged();
  }

  async function refresh() {
    const fresh = await api(`/api/parties/${partieId}/series`, { signal: ctx.signal });
    if (JSON.stringify(fresh) !== JSON.stringify(list)) {
      list = fresh;
      draw();
    }
  }
  draw();
  return { element, refresh };
}

function seriesView(series, { isMJ, changed }) {
  const errorBox = h('div');
  const now = Date.now();
  const item = (occurrence) => {
    const when = occurrence.scheduled_date || occurrence.starts_at;
    const upcoming = new Date(when).getTime() > now && occurrence.status !== 'cancelled'
      && occurrence.exception !== 'cancelled';
    const label = occurrence.exception === 'moved' ? 'déplacée'
      : occurrence.exception === 'cancelled' ? 'annulée'
        : occurrence.session_id ? 'planifiée' : 'à venir';
    const cancelOne = () => runAction(null, errorBox, async () => {
      // A far occurrence becomes its session first; then it is cancelled like any session.
      const id = occurrence.session_id
        || (await api(`/api/series/${series.id}/occurrences/${occurrence.index}`, { method: 'POST' })).id;
      await api(`/api/sessions/${id}/cancel`, { method: 'POST' });
      toast('Séance annulée.');
      await changed();
    });
    const stopHere = () => runAction(null, errorBox, async () => {
      await api(`/api/series/${series.id}`, {
        method: 'PATCH', body: { scope: 'following', occurrence: occurrence.index, cancelled: true },
      });
      toast('La série s’arrête avant cette séance.');
      await changed();
    });
    return h('li', {
      class: 'series__occurrence', 'data-testid': 'series-occurrence',
      dataset: { index: occurrence.index, exception: occurrence.exception || '' },
    },
    h('span', {}, occurrence.exception === 'cancelled' ? h('s', {}, inZone(when, series.time_zone)) : inZone(when, series.time_zone)),
    ' ', h('span', { class: `badge badge--${occurrence.exception || 'scheduled'}` }, label),
    occurrence.session_id ? [' ', h('a', {
      href: `#/sessions/${occurrence.session_id}`, 'aria-label': `La session du ${inZone(when, series.time_zone)}`,
    }, 'la session')] : null,
    isMJ && upcoming ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn btn--small', 'data-testid': 'series-cancel-one', onClick: cancelOne }, 'Annuler cette séance'),
      h('button', { type: 'button', class: 'btn btn--small btn--danger-outline', 'data-testid': 'series-stop', onClick: stopHere }, 'Arrêter la série ici'),
    ) : null);
  };
  return h('article', { class: 'card series', 'data-testid': 'series', dataset: { key: series.id } },
    h('div', { class: 'card__row' }, h('h3', { class: 'card__title' }, series.name)),
    h('p', { class: 'card__meta', 'data-testid': 'series-rule' },
      `${series.label[0].toUpperCase()}${series.label.slice(1)} à ${series.time} (${series.time_zone}), ${endText(series)}.`),
    series.description && h('p', { class: 'card__desc muted' }, series.description),
    h('ol', { class: 'series__occurrences', start: series.occurrences[0].index + 1 }, series.occurrences.map(item)),
    isMJ ? retimeForm(series, changed) : null,
    errorBox);
}

/** « Changer l’heure à partir de… »: this occurrence and all following, a new time. */
function retimeForm(series, changed) {
  const upcoming = series.occurrences.filter((o) => new Date(o.starts_at).getTime() > Date.now());
  if (!upcoming.length) return null;
  const form = h('form', { class: 'form form--inline', 'data-testid': 'series-retime' },
    field({
      label: 'À partir de', name: 'occurrence', type: 'select',
      options: upcoming.map((o) => ({ value: String(o.index), label: inZone(o.starts_at, series.time_zone) })),
    }),
    field({ label: 'Nouvelle heure', name: 'time', type: 'time', value: series.time, required: true }),
    h('button', { type: 'submit', class: 'btn btn--small' }, 'Changer cette séance et les suivantes'),
    formError());
  onSubmit(form, async () => {
    const data = new FormData(form);
    await api(`/api/series/${series.id}`, {
      method: 'PATCH',
      body: { scope: 'following', occurrence: Number(data.get('occurrence')), time: String(data.get('time')) },
    });
    toast('Heure changée pour cette séance et les suivantes.');
    await changed();
  });
  return h('details', { class: 'panel--details' }, h('summary', {}, 'Changer l’heure à partir d’une séance'), form);
}

function seriesForm(partieId, onCreated) {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [DEFAULT_ZONE];
  const zoneList = h('datalist', { id: 'series-zones' }, zones.map((zone) => h('option', { value: zone })));
  const form = h('form', { class: 'form form--grid', 'data-testid': 'series-form' },
    field({ label: 'Nom des sessions', name: 'name', required: true, maxlength: 100, class: 'span-2' }),
    field({ label: 'Description (facultatif)', name: 'description', type: 'textarea', rows: 2, maxlength: 5000, class: 'span-2' }),
    field({
      label: 'Rythme', name: 'frequency', type: 'select',
      options: [
        { value: 'weekly', label: 'Chaque semaine (ou toutes les N semaines)' },
        { value: 'monthly', label: 'Chaque mois, le même jour de la semaine (le 2ᵉ vendredi…)' },
      ],
    }),
    field({ label: 'Toutes les (semaines ou mois)', name: 'interval', type: 'number', min: 1, max: 12, value: '1', required: true }),
    field({ label: 'Première séance', name: 'first_date', type: 'date', required: true }),
    field({ label: 'Heure', name: 'time', type: 'time', value: '20:30', required: true }),
    field({
      label: 'Fuseau horaire', name: 'time_zone', value: DEFAULT_ZONE, required: true, list: 'series-zones',
      hint: 'L’heure reste la même dans ce fuseau, changement d’heure compris.',
    }),
    field({ label: 'Mensuel : le dernier de ce jour dans le mois (« le dernier vendredi »)', name: 'last_week', type: 'checkbox', class: 'span-2' }),
    field({ label: 'Nombre de séances', name: 'count', type: 'number', min: 1, max: 200, value: '8' }),
    field({ label: 'Ou jusqu’au (inclus)', name: 'until', type: 'date', hint: 'Laissez le nombre vide pour finir à une date.' }),
    field({ label: 'Joueurs au maximum', name: 'max_players', type: 'number', min: 1, max: 20, value: '6', required: true }),
    zoneList,
    formError(),
    h('div', { class: 'actions span-2' }, h('button', { type: 'submit', class: 'btn btn--primary' }, 'Programmer la série')));
  onSubmit(form, async () => {
    const data = new FormData(form);
    const text = (name) => String(data.get(name) || '').trim();
    const body = {
      name: text('name'),
      frequency: text('frequency'),
      interval: Number(text('interval') || 1),
      first_date: text('first_date'),
      time: text('time'),
      time_zone: text('time_zone'),
      max_players: Number(text('max_players')),
    };
    if (text('description')) body.description = text('description');
    if (text('count')) body.count = Number(text('count'));
    if (text('until')) body.until = text('until');
    if (body.frequency === 'monthly' && data.get('last_week') === 'on') body.monthly_week = -1;
    const series = await api(`/api/parties/${partieId}/series`, { method: 'POST', body });
    toast(`Série « ${series.name} » programmée : ${series.label}.`);
    // Not form.reset(): the zone and the time set by default would be emptied.
    form.elements.name.value = '';
    form.closest('details').open = false;
    await onCreated();
  });
  return h('details', { class: 'panel--details', 'data-testid': 'create-series' },
    h('summary', {}, 'Programmer une série'), form);
}
