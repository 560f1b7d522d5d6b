// Handouts on a partie's page: the gallery of what the MJ showed the caller, and for the MJ the
// upload form and who sees each one. Files are fetched with the bearer token and shown from blob
// URLs: an <img src> could not send the token, and a token in a URL would end up in logs.

import { ApiError, api, displayName, session as auth } from '../api.js';
import { h, replace, field, formatDateTime } from '../dom.js';
import { confirmDialog, formError, onSubmit, panel, reasonOf, runAction, toast } from '../ui.js';
import { empty } from './common.js';

const ACCEPT = 'image/png,image/jpeg,image/webp,application/pdf';

/** Fetches a handout's bytes as a blob URL, revoked when the page goes. */
export async function handoutURL(handout, ctx) {
  const response = await api(handout.file_url, { raw: true, signal: ctx.signal });
  const url = URL.createObjectURL(await response.blob());
  ctx.onCleanup(() => URL.revokeObjectURL(url));
  return url;
}

/** One handout as a figure: the picture (or a link to open the PDF), its title and caption. */
export function handoutFigure(ctx, handout, ...extra) {
  const media = h('div', { class: 'handout__media' }, h('span', { class: 'muted' }, 'Chargement…'));
  handoutURL(handout, ctx).then((url) => {
    replace(media, handout.kind === 'pdf'
      ? h('a', { href: url, target: '_blank', rel: 'noopener', class: 'btn' }, `Ouvrir le PDF « ${handout.title} »`)
      : h('a', { href: url, target: '_blank', rel: 'noopener', 'aria-label': `Ouvrir « ${handout.title} » en grand` },
        h('img', { src: url, alt: handout.caption || handout.title, width: handout.width, height: handout.height, loading: 'lazy' })));
  }).catch((error) => {
    if (error.name !== 'AbortError') replace(media, h('span', { class: 'muted' }, reasonOf(error)));
  });
  return h('figure', { class: 'handout', 'data-testid': 'handout', dataset: { handoutId: handout.id } },
    media,
    h('figcaption', {},
      h('strong', {}, handout.title),
      handout.caption ? h('span', { class: 'handout__caption' }, handout.caption) : null),
    ...extra);
}

/** The partie page's « Documents » panel. */
export function handoutsPanel(ctx, partie, members) {
  const isMJ = partie.role === 'mj';
  const gallery = h('div', { class: 'handouts', 'data-testid': 'handouts' });
  const errorBox = h('div', { role: 'alert' });
  let handouts = [];

  const players = () => members.filter((member) => member.role !== 'mj' && member.user_id !== (auth.user && auth.user.id));
  const audienceText = (handout) => {
    if (!handout.shown_at) return 'Visible de vous seul.';
    if (handout.shown_to_everyone) return 'Montré à toute la table.';
    const names = players().filter((member) => (handout.shown_to || []).includes(member.user_id)).map(displayName);
    return `Montré à ${names.join(', ') || 'personne'}.`;
  };

  const controls = (handout) => {
    const status = h('p', { class: 'muted', 'data-testid': 'handout-audience' }, audienceText(handout));
    const choose = h('fieldset', { class: 'handout__players' },
      h('legend', {}, 'Montrer à'),
      players().map((member) => field({
        label: displayName(member), type: 'checkbox', name: 'player', value: String(member.user_id),
        checked: (handout.shown_to || []).includes(member.user_id),
      })));
    const update = async (button, request) => {
      await runAction(button, errorBox, async () => {
        const updated = await api(`/api/handouts/${handout.id}/${request.path}`, { method: 'POST', body: request.body });
        handouts = handouts.map((item) => (item.id === updated.id ? updated : item));
        draw();
        toast(request.done);
      });
    };
    const everyone = h('button', { type: 'button', class: 'btn btn--primary' }, 'Montrer à tous');
    everyone.addEventListener('click', () => update(everyone, { path: 'show', body: { everyone: true }, done: 'Document montré à toute la table.' }));
    const chosen = h('button', { type: 'button', class: 'btn' }, 'Montrer aux joueurs cochés');
    chosen.addEventListener('click', () => {
      const ids = [...choose.querySelectorAll('input:checked')].map((input) => Number(input.value));
      if (!ids.length) { replace(errorBox, h('p', { class: 'notice notice--error' }, 'Cochez au moins un joueur.')); return; }
      update(chosen, { path: 'show', body: { user_ids: ids }, done: 'Document montré aux joueurs choisis.' });
    });
    const hide = h('button', { type: 'button', class: 'btn' }, 'Cacher');
    hide.addEventListener('click', () => update(hide, { path: 'hide', done: 'Document caché.' }));
    const remove = h('button', { type: 'button', class: 'btn btn--danger' }, 'Supprimer');
    remove.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: 'Supprimer le document ?', message: `« ${handout.title} » sera effacé pour tout le monde.`,
        confirmLabel: 'Supprimer', danger: true,
      });
      if (!ok) return;
      await runAction(remove, errorBox, async () => {
        await api(`/api/handouts/${handout.id}`, { method: 'DELETE' });
        handouts = handouts.filter((item) => item.id !== handout.id);
        draw();
        toast('Document supprimé.');
      });
    });
    return h('div', { class: 'handout__controls' }, status, players().length ? choose : null,
      h('div', { class: 'actions' }, everyone, players().length ? chosen : null, handout.shown_at ? hide : null, remove));
  };

  const draw = () => replace(gallery, handouts.length
    ? handouts.map((handout) => handoutFigure(ctx, handout,
      h('p', { class: 'muted' }, `Ajouté le ${formatDateTime(handout.created_at, { short: true })}`),
      isMJ ? controls(handout) : null))
    : empty(isMJ ? 'Aucun document : ajoutez une photo, une lettre, une coupure de journal…' : 'Le MJ ne vous a montré aucun document.'));

  const load = async () => {
    try {
      handouts = await api(`/api/parties/${partie.id}/handouts`, { signal: ctx.signal });
      draw();
    } catch (error) {
      if (error.name !== 'AbortError') replace(gallery, h('p', { class: 'notice notice--error' }, reasonOf(error)));
    }
  };
  load();

  const upload = isMJ ? uploadForm(partie, (handout) => { handouts = [handout, ...handouts]; draw(); }) : null;
  const element = panel('Documents', { id: 'handouts' }, errorBox, upload, gallery);
  return { element, refresh: load };
}

function uploadForm(partie, onUploaded) {
  const form = h('form', { class: 'form', 'data-testid': 'handout-form' },
    field({ label: 'Titre', name: 'title', required: true, maxlength: 120 }),
    field({ label: 'Légende (facultatif)', name: 'caption', type: 'textarea', rows: 2, maxlength: 1000 }),
    field({ label: 'Fichier (PNG, JPEG, WebP ou PDF)', name: 'file', type: 'file', accept: ACCEPT, required: true,
      hint: 'Les métadonnées des photos (lieu, appareil) sont retirées à l’envoi.' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--primary' }, 'Ajouter le document')));
  onSubmit(form, async () => {
    const response = await fetch(`/api/parties/${partie.id}/handouts`, {
      method: 'POST', body: new FormData(form),
      headers: { Accept: 'application/json', Authorization: `Bearer ${auth.token}` },
    }).catch(() => { throw new ApiError(0, 'Impossible de joindre le serveur : la connexion semble perdue.'); });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, (data && data.reason) || `L’envoi a échoué (code ${response.status}).`, data && data.field);
    form.reset();
    onUploaded(data);
    toast('Document ajouté : montrez-le quand le moment sera venu.');
  });
  return form;
}
