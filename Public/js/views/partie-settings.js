// The MJ's settings of a partie: its name, the usual length of an evening (used for the end
// time of calendar events), the reminders before each session, and the webhook that tells
// another service (a Discord channel, a bot) when a session is planned, moved, started or
// cancelled, or is about to start.

import { api, ApiError } from '../api.js';
import { h, replace, field, formatDateTime, formatDuration, formatTime, uid } from '../dom.js';
import { confirmDialog, formError, notice, onSubmit, reasonOf, runAction, toast } from '../ui.js';
import { empty } from './common.js';
import { partieDangerZone } from './deletion.js';

const EVENTS = [
  { value: 'session.scheduled', label: 'Session planifiée' },
  { value: 'session.rescheduled', label: 'Session déplacée' },
  { value: 'session.started', label: 'Session commencée' },
  { value: 'session.cancelled', label: 'Session annulée' },
  { value: 'session.reminder', label: 'Rappel avant une session' },
];
const EVENT_LABELS = { ...Object.fromEntries(EVENTS.map((e) => [e.value, e.label])), 'webhook.test': 'Test' };
const DELIVERY_LABELS = { pending: 'En attente', delivered: 'Livré', failed: 'Échec' };

/** The « Paramètres de la partie » panel (closed at first; the webhook is read when opened). */
export function partieSettingsPanel(ctx, initial, onChange) {
  let partie = initial;
  const webhook = webhookSection(ctx, partie);
  const danger = partieDangerZone(ctx, partie);

  const lengthHint = h('p', { class: 'field__hint', id: uid('length-hint') });
  const lengthInput = h('input', {
    type: 'number', name: 'session_length_minutes', id: uid('session-length'), min: 15, max: 1440, step: 1, required: true,
    inputmode: 'numeric', 'aria-describedby': lengthHint.id, 'data-testid': 'session-length',
    value: String(partie.session_length_minutes ?? 240),
  });
  const showLength = () => {
    const minutes = Number(lengthInput.value);
    lengthHint.textContent = Number.isInteger(minutes) && minutes >= 15 && minutes <= 1440
      ? `Soit ${formatDuration(minutes)}. Sert d’heure de fin dans l’agenda (de 15 à 1 440 minutes).`
      : 'De 15 à 1 440 minutes. Sert d’heure de fin dans l’agenda.';
  };
  lengthInput.addEventListener('input', showLength);
  showLength();

  // The reminders: minutes before each session, as the MJ types them (« 1440, 60 »).
  const remindersHint = h('p', { class: 'field__hint', id: uid('reminders-hint') });
  const remindersInput = h('input', {
    type: 'text', name: 'reminder_offsets_minutes', id: uid('reminders'), inputmode: 'numeric',
    'aria-describedby': remindersHint.id, 'data-testid': 'reminder-offsets',
    value: (partie.reminder_offsets_minutes ?? [1440, 60]).join(', '),
  });
  const readOffsets = () => {
    const parts = remindersInput.value.split(/[\s,;]+/).filter(Boolean);
    const offsets = parts.map(Number);
    const valid = offsets.length <= 3 && offsets.every((m) => Number.isInteger(m) && m >= 5 && m <= 20160)
      && new Set(offsets).size === offsets.length;
    return valid ? offsets : null;
  };
  const showReminders = () => {
    const offsets = readOffsets();
    const rule = 'Jusqu’à 3 délais différents, de 5 à 20 160 minutes, séparés par des virgules ; vide pour aucun rappel.';
    remindersHint.textContent = offsets === null ? rule
      : offsets.length === 0 ? `Aucun rappel. ${rule}`
        : `Rappel ${[...offsets].sort((a, b) => b - a).map((m) => formatDuration(m)).join(', ')} avant chaque session, par le webhook et l’agenda. ${rule}`;
  };
  remindersInput.addEventListener('input', showReminders);
  showReminders();

  const form = h('form', { class: 'form form--grid', 'data-testid': 'partie-settings-form' },
    field({ label: 'Nom de la partie', name: 'name', required: true, maxlength: 100, value: partie.name, class: 'span-2' }),
    h('div', { class: 'field span-2' },
      h('label', { for: lengthInput.id }, 'Durée habituelle d’une session (minutes)'),
      lengthHint,
      lengthInput),
    h('div', { class: 'field span-2' },
      h('label', { for: remindersInput.id }, 'Rappels (minutes avant la session)'),
      remindersHint,
      remindersInput),
    field({
      label: 'Les membres peuvent observer une session d’eux-mêmes', name: 'members_may_observe', type: 'checkbox',
      checked: Boolean(partie.members_may_observe), class: 'span-2', 'data-testid': 'members-may-observe',
      hint: 'Ils voient la table, le chat et les tirages publics, sans place ni tirage. Sinon, vous seul installez un observateur.',
    }),
    formError(),
    h('div', { class: 'actions span-2' }, h('button', { type: 'submit', class: 'btn' }, 'Enregistrer')));

  let dirty = false;
  form.addEventListener('input', () => { dirty = true; });
  ctx.onLeave(() => dirty);

  onSubmit(form, async () => {
    const minutes = Number(lengthInput.value);
    if (!Number.isInteger(minutes) || minutes < 15 || minutes > 1440) {
      throw new ApiError(400, 'La durée habituelle doit être un nombre entier de minutes, de 15 à 1 440.', 'session_length_minutes');
    }
    const offsets = readOffsets();
    if (offsets === null) {
      throw new ApiError(400, 'Rappels : jusqu’à 3 délais différents, chacun de 5 à 20 160 minutes.', 'reminder_offsets_minutes');
    }
    const body = { name: form.elements.name.value.trim(), session_length_minutes: minutes, reminder_offsets_minutes: offsets };
    body.members_may_observe = form.elements.members_may_observe.checked;
    const updated = await api(`/api/parties/${partie.id}`, { method: 'PUT', body });
    partie = { ...partie, ...updated };
    remindersInput.value = (partie.reminder_offsets_minutes ?? []).join(', ');
    showReminders();
    dirty = false;
    onChange(partie);
    toast('Paramètres de la partie enregistrés.');
  });

  const details = h('details', { class: 'panel panel--details', id: 'partie-settings', 'data-testid': 'partie-settings' },
    h('summary', {}, h('h2', { class: 'panel__summary-title' }, 'Paramètres de la partie')),
    form,
    webhook.element,
    danger.element);
  details.addEventListener('toggle', () => {
    if (!details.open) return;
    webhook.load();
    danger.load();
  });
  return details;
}

function webhookSection(ctx, partie) {
  const base = `/api/parties/${partie.id}/webhook`;
  const body = h('div', { 'data-testid': 'webhook' }, h('p', { class: 'loading' }, 'Chargement…'));
  const secretBox = h('div', { 'data-testid': 'webhook-secret-box' });
  const deliveriesBox = h('div', { 'data-testid': 'webhook-deliveries' });
  let current; // undefined: not read yet; null: none; the WebhookResponse otherwise
  let deliveries = []; // most recent first
  let loading = null;
  let pollTimer = null;
  ctx.onCleanup(() => clearTimeout(pollTimer));

  async function load() {
    if (loading || current !== undefined) return loading;
    loading = (async () => {
      try {
        current = await api(base, { signal: ctx.signal });
      } catch (error) {
        if (error && error.name === 'AbortError') return;
        if (error.status === 404) {
          current = null;
        } else {
          replace(body, notice(`Webhook indisponible : ${reasonOf(error)}`, 'error',
            h('div', { class: 'actions' }, h('button', {
              type: 'button', class: 'btn btn--small', onClick: () => { loading = null; load(); },
            }, 'Réessayer'))));
          return;
        }
      }
      draw();
      if (current) loadDeliveries();
    })().finally(() => { loading = null; });
    return loading;
  }

  function showSecret(secret) {
    if (!secret) { secretBox.replaceChildren(); return; }
    const input = h('input', { type: 'text', readonly: true, id: uid('webhook-secret'), class: 'mono', value: secret, 'data-testid': 'webhook-secret' });
    replace(secretBox, notice('Secret de signature : copiez-le maintenant, il ne sera plus affiché.', 'warning',
      h('p', {}, 'Il sert au service qui reçoit les envois à vérifier l’en-tête X-Etrange-Signature (HMAC-SHA256 du corps).'),
      h('div', { class: 'field' }, h('label', { for: input.id }, 'Secret'), input),
      h('div', { class: 'actions' }, copyButton(input, 'Copier le secret', 'Secret copié.'))));
  }

  function draw() {
    const configured = Boolean(current);
    const events = new Set(configured ? current.events || [] : EVENTS.map((e) => e.value));
    const errorBox = h('div');
    const form = h('form', { class: 'form', 'data-testid': 'webhook-form' },
      field({
        label: 'Adresse du webhook', name: 'url', type: 'url', required: true, maxlength: 2000,
        autocomplete: 'off', spellcheck: 'false', placeholder: 'https://discord.com/api/webhooks/…',
        value: configured ? current.url : '',
        hint: 'Un webhook Discord (Paramètres du salon → Intégrations → Webhooks), ou l’adresse https de votre service.',
      }),
      field({
        label: 'Format', name: 'format', type: 'select',
        options: [
          { value: 'discord', label: 'Discord (message lisible)', selected: configured ? current.format === 'discord' : true },
          { value: 'json', label: 'JSON (pour un programme)', selected: configured && current.format === 'json' },
        ],
      }),
      h('fieldset', { class: 'choices' },
        h('legend', {}, 'Événements envoyés'),
        EVENTS.map((event) => {
          const id = uid('webhook-event');
          return h('div', { class: 'choice' },
            h('input', { type: 'checkbox', id, name: 'events', value: event.value, checked: events.has(event.value) }),
            h('label', { for: id }, event.label));
        })),
      configured && field({
        label: 'Générer un nouveau secret (l’ancien ne signera plus rien)', name: 'rotate_secret', type: 'checkbox',
        'data-testid': 'webhook-rotate-secret',
      }),
      formError(),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'webhook-save' },
          configured ? 'Enregistrer le webhook' : 'Activer le webhook')));

    // Discord never checks the signature: its secret would only be a puzzle, so it is not shown.
    const formatSelect = form.elements.format;
    const showRotate = () => {
      const rotate = form.querySelector('[data-testid=webhook-rotate-secret]');
      if (rotate) rotate.closest('.field').hidden = formatSelect.value === 'discord';
    };
    formatSelect.addEventListener('change', showRotate);
    showRotate();

    onSubmit(form, async () => {
      const chosen = [...form.querySelectorAll('input[name=events]:checked')].map((input) => input.value);
      if (!chosen.length) throw new ApiError(400, 'Choisissez au moins un événement à envoyer.', 'events');
      const payload = {
        url: form.elements.url.value.trim(),
        format: form.elements.format.value,
        events: chosen,
      };
      if (form.elements.rotate_secret && form.elements.rotate_secret.checked && payload.format !== 'discord') payload.rotate_secret = true;
      // A Discord webhook's secret was never shown: turned into JSON, it gets one to show.
      if (current && current.format === 'discord' && payload.format === 'json') payload.rotate_secret = true;
      const saved = await api(base, { method: 'PUT', body: payload });
      const created = !current;
      current = saved;
      draw();
      showSecret(saved.format === 'discord' ? null : saved.secret);
      toast(created ? 'Webhook activé.' : 'Webhook enregistré.');
      loadDeliveries();
    });

    const testButton = configured && h('button', {
      type: 'button', class: 'btn', 'data-testid': 'webhook-test',
      onClick: () => runAction(testButton, errorBox, async () => {
        const delivery = await api(`${base}/test`, { method: 'POST' });
        toast('Envoi de test programmé.');
        deliveries = [delivery, ...deliveries.filter((d) => d.id !== delivery.id)];
        drawDeliveries();
        followDeliveries();
      }),
    }, 'Tester');
    const deleteButton = configured && h('button', {
      type: 'button', class: 'btn btn--danger-outline', 'data-testid': 'webhook-delete',
      onClick: async () => {
        const ok = await confirmDialog({
          title: 'Supprimer le webhook ?',
          message: 'Plus rien ne sera envoyé à cette adresse. Vous pourrez en configurer un autre.',
          confirmLabel: 'Supprimer', danger: true,
        });
        if (!ok) return;
        await runAction(deleteButton, errorBox, async () => {
          await api(base, { method: 'DELETE' });
          current = null;
          deliveries = [];
          secretBox.replaceChildren();
          draw();
          toast('Webhook supprimé.');
        });
      },
    }, 'Supprimer…');

    replace(body,
      h('p', { class: 'muted' }, configured
        ? `Actif depuis le ${formatDateTime(current.created_at, { short: true })}.`
        : 'Aucun webhook : rien n’est envoyé ailleurs.'),
      secretBox,
      form,
      configured && h('div', { class: 'actions webhook__actions' }, testButton, deleteButton),
      errorBox,
      configured && h('div', { class: 'webhook__deliveries' },
        h('div', { class: 'panel__head' },
          h('h4', {}, 'Derniers envois'),
          h('button', { type: 'button', class: 'btn btn--small btn--ghost', onClick: () => loadDeliveries() }, 'Actualiser')),
        deliveriesBox));
  }

  async function loadDeliveries() {
    try {
      deliveries = await api(`${base}/deliveries`, { signal: ctx.signal });
      drawDeliveries();
      return deliveries;
    } catch (error) {
      if (error && error.name === 'AbortError') return [];
      replace(deliveriesBox, notice(`Liste des envois indisponible : ${reasonOf(error)}`, 'info'));
      return [];
    }
  }

  /** After a test: read the list again a few times while something is still on its way. */
  function followDeliveries(round = 0) {
    clearTimeout(pollTimer);
    const delays = [1500, 3000, 6000, 12000];
    if (round >= delays.length) return;
    pollTimer = setTimeout(async () => {
      const list = await loadDeliveries();
      if ((list || []).some((d) => d.status === 'pending')) followDeliveries(round + 1);
    }, delays[round]);
  }

  function drawDeliveries() {
    if (!deliveries.length) {
      replace(deliveriesBox, empty('Aucun envoi pour l’instant. « Tester » en envoie un.'));
      return;
    }
    replace(deliveriesBox, h('ul', { class: 'plain-list deliveries', 'data-testid': 'webhook-delivery-list' },
      deliveries.map((d) => h('li', { class: 'delivery', 'data-testid': 'webhook-delivery', dataset: { status: d.status, event: d.event } },
        h('div', { class: 'delivery__head' },
          h('span', { class: 'delivery__event' }, EVENT_LABELS[d.event] || d.event),
          h('span', { class: `badge badge--delivery-${d.status}` }, DELIVERY_LABELS[d.status] || d.status)),
        h('p', { class: 'delivery__detail muted' },
          [
            formatDateTime(d.created_at, { short: true }),
            `${d.attempts} tentative${d.attempts > 1 ? 's' : ''}`,
            d.last_status_code != null ? `réponse HTTP ${d.last_status_code}` : '',
            d.status === 'pending' && d.next_attempt_at ? `prochain essai à ${formatTime(d.next_attempt_at)}` : '',
            d.delivered_at ? `livré à ${formatTime(d.delivered_at)}` : '',
          ].filter(Boolean).join(' · ')),
        d.last_error && h('p', { class: 'delivery__error' }, d.last_error)))));
  }

  const element = h('section', { class: 'subsection', 'aria-labelledby': 'webhook-title' },
    h('h3', { id: 'webhook-title' }, 'Webhook (Discord ou autre)'),
    h('p', { class: 'muted' }, 'Prévient un salon Discord ou votre propre service quand une session est planifiée, déplacée, commence ou est annulée, et la rappelle avant qu’elle commence.'),
    body);
  return { element, load };
}

/** A button copying an input's value, with the usual fallback. */
export function copyButton(input, label, done) {
  return h('button', {
    type: 'button', class: 'btn btn--small',
    onClick: async () => {
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        input.select();
        document.execCommand('copy');
      }
      toast(done);
    },
  }, label);
}
