// My account: who I am (my display name, my password), and the calendar feed (« Agenda ») that puts the sessions of my parties in
// my phone's calendar. The feed's address holds its own secret: the server shows it once, when it
// is created or replaced.

import { api, allPages, ApiError, displayName, session } from '../api.js';
import { h, replace, field, formatDate, formatDateTime, uid } from '../dom.js';
import { confirmDialog, formError, notice, onSubmit, panel, reasonOf, runAction, toast } from '../ui.js';
import { loadOrExplain } from './common.js';
import { copyButton } from './partie-settings.js';
import { filenameOf } from './exports.js';
import { deleteAccountPanelContent } from './deletion.js';

export async function renderAccount(ctx) {
  ctx.setTitle('Mon compte');
  const loaded = await loadOrExplain(ctx, 'Mon compte', () => Promise.all([
    api('/api/me', { signal: ctx.signal }),
    allPages('/api/parties', { signal: ctx.signal }).catch(() => []),
  ]));
  if (!loaded) return;
  const [user, parties] = loaded;
  const meta = h('p', { class: 'page-head__meta', 'data-testid': 'account-meta' });
  const drawMeta = (u) => replace(meta, displayName(u), u.display_name ? ` (${u.username})` : '',
    u.created_at ? ` · inscrit·e le ${formatDate(u.created_at)}` : '');
  drawMeta(user);

  replace(ctx.main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Mon compte'), meta),
    h('div', { class: 'layout layout--single' },
      h('div', { class: 'layout__main' },
        namePanel(ctx, user, (updated) => { drawMeta(updated); session.save({ user: updated }); ctx.refreshUser(); }),
        passwordPanel(ctx),
        calendarPanel(ctx, parties),
        dataPanel(user),
        panel('Supprimer mon compte', { id: 'delete-account' },
          ...deleteAccountPanelContent(ctx, parties.filter((p) => p.role === 'mj'))))));
}

/**
 * Everything the server holds about me, as one JSON file (`GET /api/me/export`). The API wants
 * the bearer token, so the file is fetched, then handed to the browser through a Blob's URL.
 */
function dataPanel(user) {
  const errorBox = h('div');
  const button = h('button', {
    type: 'button', class: 'btn', 'data-testid': 'data-export',
    onClick: () => runAction(button, errorBox, async () => {
      const response = await api('/api/me/export', { raw: true });
      const name = filenameOf(response, `etrange-donnees-${user.id}.json`);
      const url = URL.createObjectURL(await response.blob());
      const link = h('a', { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      // Give the download time to read the Blob before letting it go.
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      toast(`Vos données sont téléchargées : ${name}.`);
    }),
  }, h('span', { 'aria-hidden': 'true' }, '⤓'), 'Télécharger mes données');
  return panel('Mes données', { id: 'my-data' },
    h('p', { class: 'muted' },
      'Un fichier JSON avec tout ce que le serveur garde de vous : compte, parties, personnages et fiches, ',
      'sessions jouées et temps de jeu, messages écrits et reçus, tirages, réponses et documents montrés. ',
      'Ni votre mot de passe ni vos jetons de connexion n’y figurent. Trois téléchargements par heure.'),
    errorBox,
    h('div', { class: 'actions' }, button));
}

/** The name the others see beside my messages and draws (`PUT /api/me`). */
function namePanel(ctx, user, renamed) {
  let dirty = false;
  const form = h('form', { class: 'form', 'data-testid': 'display-name-form', onInput: () => { dirty = true; } },
    field({
      label: 'Nom affiché', name: 'display_name', maxlength: 64, autocomplete: 'nickname', value: user.display_name || '',
      hint: `Le nom que voient les autres joueurs. Vide : votre nom d’utilisateur (${user.username}).`,
    }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'display-name-save' }, 'Enregistrer le nom')));
  ctx.onLeave(() => dirty);
  onSubmit(form, async () => {
    const value = form.elements.display_name.value.trim();
    const updated = await api('/api/me', { method: 'PUT', body: { display_name: value || null } });
    dirty = false;
    form.elements.display_name.value = updated.display_name || '';
    renamed(updated);
    toast('Nom affiché enregistré.');
  });
  return panel('Mon nom', { id: 'display-name' }, form);
}

/**
 * A new password (`POST /api/auth/password`): every other device is signed out, this one gets a
 * new token.
 */
function passwordPanel(ctx) {
  let dirty = false;
  const form = h('form', { class: 'form', 'data-testid': 'password-form', onInput: () => { dirty = true; } },
    field({ label: 'Mot de passe actuel', name: 'current_password', type: 'password', required: true, autocomplete: 'current-password' }),
    field({
      label: 'Nouveau mot de passe', name: 'new_password', type: 'password', required: true, minlength: 8,
      autocomplete: 'new-password', hint: 'Au moins 8 caractères. Vos autres appareils seront déconnectés.',
    }),
    field({ label: 'Nouveau mot de passe (encore)', name: 'new_password_again', type: 'password', required: true, autocomplete: 'new-password' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'password-save' }, 'Changer le mot de passe')));
  ctx.onLeave(() => dirty);
  onSubmit(form, async () => {
    const next = form.elements.new_password.value;
    if (next !== form.elements.new_password_again.value) {
      throw new ApiError(400, 'Les deux nouveaux mots de passe ne sont pas identiques.', 'new_password_again');
    }
    const result = await api('/api/auth/password', {
      method: 'POST', body: { current_password: form.elements.current_password.value, new_password: next },
    });
    session.save(result);
    form.reset();
    dirty = false;
    toast('Mot de passe changé : vos autres appareils sont déconnectés.');
  });
  return panel('Mot de passe', { id: 'password' }, form);
}

function calendarPanel(ctx, parties) {
  const box = h('div', { 'data-testid': 'calendar-feed' }, h('p', { class: 'loading' }, 'Chargement…'));
  const errorBox = h('div');
  let feed = null; // CalendarFeedResponse
  let freshUrl = null; // the address, known only right after creation or rotation

  async function load() {
    try {
      feed = await api('/api/calendar/feed', { signal: ctx.signal });
      draw();
    } catch (error) {
      if (error && error.name === 'AbortError') return;
      replace(box, notice(`Agenda indisponible : ${reasonOf(error)}`, 'error',
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn--small', onClick: load }, 'Réessayer'))));
    }
  }

  async function create(button, { rotate }) {
    if (rotate) {
      const ok = await confirmDialog({
        title: 'Remplacer l’adresse de l’agenda ?',
        message: 'L’adresse actuelle cessera de fonctionner tout de suite : les agendas abonnés avec elle ne recevront plus rien. Il faudra vous abonner avec la nouvelle.',
        confirmLabel: 'Nouvelle adresse', danger: true,
      });
      if (!ok) return;
    }
    await runAction(button, errorBox, async () => {
      feed = await api('/api/calendar/feed', { method: 'POST', body: {} });
      freshUrl = feed.url;
      draw();
      toast(rotate ? 'Nouvelle adresse créée : l’ancienne ne fonctionne plus.' : 'Adresse de l’agenda créée.');
      const input = box.querySelector('[data-testid=calendar-url]');
      if (input) input.focus();
    });
  }

  async function remove(button) {
    const ok = await confirmDialog({
      title: 'Désactiver l’agenda ?',
      message: 'L’adresse cessera de fonctionner : les sessions disparaîtront des agendas abonnés à leur prochaine mise à jour.',
      confirmLabel: 'Désactiver', danger: true,
    });
    if (!ok) return;
    await runAction(button, errorBox, async () => {
      await api('/api/calendar/feed', { method: 'DELETE' });
      feed = { active: false, created_at: null, last_used_at: null, url: null };
      freshUrl = null;
      draw();
      toast('Agenda désactivé.');
    });
  }

  function urlBlock() {
    const input = h('input', { type: 'text', readonly: true, id: uid('calendar-url'), class: 'mono', 'data-testid': 'calendar-url', value: freshUrl });
    const webcal = h('a', { class: 'btn btn--small', 'data-testid': 'calendar-subscribe', href: freshUrl.replace(/^https?:/, 'webcal:') }, 'Ouvrir dans l’agenda');
    const scope = parties.length > 1 && field({
      label: 'Sessions de', name: 'calendar_partie', type: 'select',
      options: [{ value: '', label: 'Toutes mes parties' }, ...parties.map((p) => ({ value: String(p.id), label: p.name }))],
      hint: 'Une adresse par partie, si vous préférez un agenda pour chacune.',
    });
    if (scope) {
      scope.querySelector('select').addEventListener('change', (event) => {
        const id = event.target.value;
        input.value = id ? `${freshUrl}?partie_id=${encodeURIComponent(id)}` : freshUrl;
        webcal.href = input.value.replace(/^https?:/, 'webcal:');
      });
    }
    return notice('Voici l’adresse de votre agenda. Copiez-la maintenant : elle ne sera plus affichée.', 'success',
      h('div', { class: 'field' }, h('label', { for: input.id }, 'Adresse de l’agenda (.ics)'), input),
      scope,
      h('div', { class: 'actions' }, copyButton(input, 'Copier l’adresse', 'Adresse copiée.'), webcal));
  }

  function draw() {
    const active = feed && feed.active;
    const createButton = h('button', {
      type: 'button', class: 'btn btn--primary', 'data-testid': 'calendar-create',
      onClick: () => create(createButton, { rotate: false }),
    }, 'Créer l’adresse de mon agenda');
    const rotateButton = h('button', {
      type: 'button', class: 'btn', 'data-testid': 'calendar-rotate',
      onClick: () => create(rotateButton, { rotate: true }),
    }, 'Nouvelle adresse…');
    const deleteButton = h('button', {
      type: 'button', class: 'btn btn--danger-outline', 'data-testid': 'calendar-delete',
      onClick: () => remove(deleteButton),
    }, 'Désactiver…');
    replace(box,
      active
        ? h('p', { 'data-testid': 'calendar-state', dataset: { active: 'true' } },
          h('strong', {}, 'Agenda actif'),
          feed.created_at ? ` depuis le ${formatDateTime(feed.created_at, { short: true })}` : '',
          '. ',
          feed.last_used_at
            ? `Dernière lecture par un agenda : ${formatDateTime(feed.last_used_at, { short: true })}.`
            : 'Aucun agenda ne l’a encore lu.')
        : h('p', { 'data-testid': 'calendar-state', dataset: { active: 'false' } }, 'Aucun agenda n’est abonné à vos sessions.'),
      active && freshUrl && urlBlock(),
      active && !freshUrl && h('p', { class: 'muted' },
        'Par sécurité, l’adresse n’est montrée qu’une fois. Perdue ? Créez-en une nouvelle : l’ancienne cessera de fonctionner.'),
      h('div', { class: 'actions' }, active ? [rotateButton, deleteButton] : createButton),
      errorBox);
  }

  load();
  return panel('Agenda', { id: 'agenda' },
    h('p', {}, 'Abonnez l’agenda de votre téléphone (ou de votre ordinateur) à vos sessions : les dates prévues, '
      + 'les changements et les annulations y apparaissent d’eux-mêmes.'),
    h('ul', { class: 'hints' },
      h('li', {}, 'iPhone, iPad, Mac : « Ouvrir dans l’agenda », puis « S’abonner ».'),
      h('li', {}, 'Android (Google Agenda) : sur un ordinateur, « Autres agendas » → « À partir de l’URL », collez l’adresse.'),
      h('li', {}, 'Gardez cette adresse secrète : elle suffit pour lire vos sessions, sans mot de passe. '
        + '« Nouvelle adresse » rend l’ancienne inutilisable.')),
    box);
}
