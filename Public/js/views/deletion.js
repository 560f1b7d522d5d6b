// What cannot be undone: the MJ hands a partie over or deletes it (typing its name), a player
// deletes a character, someone deletes their account (typing their password). Each asks first.

import { api, ApiError, displayName } from '../api.js';
import { h, replace, field } from '../dom.js';
import { confirmDialog, formError, notice, onSubmit, runAction, toast } from '../ui.js';

/**
 * The MJ's « Transférer la partie » and « Supprimer la partie », for the settings panel. The
 * members are read when `load()` is called (the panel opens).
 */
export function partieDangerZone(ctx, partie) {
  const transferBox = h('div', { 'data-testid': 'transfer-partie' }, h('p', { class: 'loading' }, 'Chargement…'));
  let loaded = null;

  function load() {
    if (loaded) return loaded;
    loaded = api(`/api/parties/${partie.id}/members`, { signal: ctx.signal })
      .then((members) => replace(transferBox, transferForm(ctx, partie, members.filter((m) => m.role !== 'mj'))))
      .catch((error) => {
        loaded = null;
        if (error && error.name === 'AbortError') return;
        replace(transferBox, notice(error.message, 'error'));
      });
    return loaded;
  }

  const element = h('div', { class: 'danger-zones' },
    h('section', { class: 'subsection', 'aria-labelledby': 'transfer-title' },
      h('h3', { id: 'transfer-title' }, 'Transférer la partie'),
      h('p', { class: 'muted' }, 'Un autre membre en devient le MJ ; vous restez dans la partie comme joueur·se. Impossible pendant une session en cours.'),
      transferBox),
    h('section', { class: 'subsection danger-zone', 'aria-labelledby': 'delete-partie-title' },
      h('h3', { id: 'delete-partie-title' }, 'Supprimer la partie'),
      h('p', { class: 'muted' }, 'Supprime pour tous ses sessions, tirages, messages, documents, sondages et webhook. Les personnages restent à leurs joueurs. C’est définitif.'),
      deletePartieForm(ctx, partie)));
  return { element, load };
}

function transferForm(ctx, partie, players) {
  if (!players.length) return h('p', { class: 'muted' }, 'Aucun autre membre pour l’instant : invitez quelqu’un d’abord.');
  const form = h('form', { class: 'form form--inline', 'data-testid': 'transfer-form' },
    field({
      label: 'Nouveau MJ', name: 'user_id', type: 'select', 'data-testid': 'transfer-member',
      options: players.map((m) => ({ value: String(m.user_id), label: displayName(m) })),
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--danger-outline', 'data-testid': 'transfer-submit' }, 'Transférer')),
    formError());
  onSubmit(form, async () => {
    const userId = Number(form.elements.user_id.value);
    const member = players.find((m) => m.user_id === userId);
    const ok = await confirmDialog({
      title: `Confier « ${partie.name} » à ${displayName(member)} ?`,
      message: 'Vous ne pourrez plus gérer la partie ni ses sessions : seul le nouveau MJ pourra vous la rendre.',
      confirmLabel: 'Transférer', danger: true,
    });
    if (!ok) return;
    await api(`/api/parties/${partie.id}/transfer`, { method: 'POST', body: { user_id: userId } });
    toast(`${displayName(member)} est désormais MJ de « ${partie.name} ».`);
    ctx.navigate(`/parties/${partie.id}`, { replace: true });
  });
  return form;
}

function deletePartieForm(ctx, partie) {
  const button = h('button', { type: 'submit', class: 'btn btn--danger', 'data-testid': 'delete-partie-submit', disabled: true }, 'Supprimer la partie');
  const form = h('form', { class: 'form', 'data-testid': 'delete-partie-form' },
    field({
      label: `Tapez le nom de la partie, « ${partie.name} », pour confirmer`, name: 'confirm_name',
      autocomplete: 'off', 'data-testid': 'delete-partie-name',
    }),
    formError(),
    h('div', { class: 'actions' }, button));
  const typed = () => form.elements.confirm_name.value.trim();
  form.addEventListener('input', () => { button.disabled = typed() !== partie.name; });
  onSubmit(form, async () => {
    if (typed() !== partie.name) {
      throw new ApiError(400, `Tapez exactement le nom de la partie, « ${partie.name} ».`, 'confirm_name');
    }
    const ok = await confirmDialog({
      title: `Supprimer « ${partie.name} » ?`,
      message: 'Ses sessions, tirages, messages, documents et sondages disparaissent pour tous ses membres. C’est définitif.',
      confirmLabel: 'Supprimer définitivement', danger: true,
    });
    if (!ok) return;
    await api(`/api/parties/${partie.id}`, { method: 'DELETE', body: { confirm_name: typed() } });
    toast(`La partie « ${partie.name} » est supprimée.`);
    ctx.navigate('/parties', { replace: true });
  });
  return form;
}

/** A character's delete button; `onDeleted()` after. */
export function deleteCharacterButton(character, onDeleted) {
  const errorBox = h('div');
  const button = h('button', {
    type: 'button', class: 'btn btn--small btn--danger-outline', 'data-testid': 'delete-character',
    'aria-label': `Supprimer le personnage ${character.name}`,
    onClick: async () => {
      const ok = await confirmDialog({
        title: `Supprimer « ${character.name} » ?`,
        message: 'Sa fiche et son paquet disparaissent. Ses tirages passés restent lisibles, sous le nom « personnage supprimé ». C’est définitif.',
        confirmLabel: 'Supprimer le personnage', danger: true,
      });
      if (!ok) return;
      await runAction(button, errorBox, async () => {
        await api(`/api/characters/${encodeURIComponent(character.id)}`, { method: 'DELETE' });
        toast(`Le personnage « ${character.name} » est supprimé.`);
        await onDeleted();
      });
    },
  }, 'Supprimer');
  return h('span', {}, ' ', button, errorBox);
}

/** « Supprimer mon compte », with the password; `runs` are the parties I am MJ of. */
export function deleteAccountPanelContent(ctx, runs) {
  const form = h('form', { class: 'form', 'data-testid': 'delete-account-form' },
    field({ label: 'Mot de passe', name: 'password', type: 'password', required: true, autocomplete: 'current-password', 'data-testid': 'delete-account-password' }),
    formError(),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--danger', 'data-testid': 'delete-account-submit' }, 'Supprimer mon compte')));
  const runsBox = h('div', { 'data-testid': 'delete-account-runs' });
  const showRuns = () => replace(runsBox, runs.length
    ? notice('Vous êtes MJ de ces parties : confiez chacune à un autre membre ou supprimez-la d’abord (dans ses paramètres).', 'warning',
      h('ul', {}, runs.map((p) => h('li', {}, h('a', { href: `#/parties/${p.id}` }, p.name)))))
    : '');
  showRuns();
  onSubmit(form, async () => {
    const ok = await confirmDialog({
      title: 'Supprimer votre compte ?',
      message: 'Vos personnages, vos connexions et votre agenda disparaissent, vous quittez vos parties. Ce que vous avez écrit et tiré reste pour les autres, sous le nom « Ancien·ne joueur·se ». C’est définitif.',
      confirmLabel: 'Supprimer mon compte', danger: true,
    });
    if (!ok) return;
    try {
      await api('/api/me', { method: 'DELETE', body: { password: form.elements.password.value } });
    } catch (error) {
      form.elements.password.value = '';
      throw error;
    }
    ctx.signOut('Votre compte est supprimé.');
  });
  return [
    h('p', { class: 'muted' }, 'Vos personnages, vos connexions, votre agenda et votre nom d’utilisateur disparaissent, et vous quittez vos parties. Vos messages et tirages restent pour les autres, sans votre nom.'),
    runsBox, form];
}
