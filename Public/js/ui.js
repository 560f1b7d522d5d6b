// Shared pieces of interface: messages, confirmation dialogs, forms that show the server's reason.

import { ApiError } from './api.js';
import { h, replace } from './dom.js';

export const STATUS_LABELS = {
  scheduled: 'Prévue',
  active: 'En cours',
  paused: 'En pause',
  completed: 'Terminée',
  cancelled: 'Annulée',
};

export function statusBadge(status) {
  return h('span', { class: `badge badge--${status}`, dataset: { status } }, STATUS_LABELS[status] || status);
}

export function roleBadge(role) {
  const labels = { mj: 'MJ', master: 'MJ', player: 'Joueur·se', observer: 'Observateur·rice' };
  return h('span', { class: `badge badge--role-${role}` }, labels[role] || role);
}

/** « 1 joueur·se », « 4 joueur·se·s » (French plural: 0 and 1 are singular). */
export function playersCount(count) {
  return `${count} joueur·se${Math.abs(count) >= 2 ? '·s' : ''}`;
}

/** A message block; `kind` is info, success, warning or error. Errors are announced. */
export function notice(message, kind = 'info', ...extra) {
  return h('div', {
    class: `notice notice--${kind}`,
    role: kind === 'error' ? 'alert' : 'status',
  }, h('p', {}, message), ...extra);
}

/**
 * The server names the field at fault in its own spelling (« username : … »): people read its
 * label instead, the form's own when there is one.
 */
const FIELD_LABELS = {
  username: 'Nom d’utilisateur', password: 'Mot de passe', display_name: 'Nom affiché',
  current_password: 'Mot de passe actuel', new_password: 'Nouveau mot de passe', name: 'Nom',
  invite_code: 'Code d’invitation', body: 'Message', description: 'Description', summary: 'Résumé',
  notes: 'Notes privées', key_events: 'Moments clés', character_developments: 'Évolutions des personnages',
  scheduled_date: 'Date prévue', max_players: 'Joueurs au maximum', voice_channel_id: 'Salon vocal',
  allow_late_join: 'Arrivées tardives', session_length_minutes: 'Durée habituelle', url: 'Adresse',
  format: 'Format', events: 'Événements', character_id: 'Personnage', difficulty: 'Difficulté',
  reason: 'Raison', bonuses: 'Bonus', title: 'Titre', caption: 'Légende', file: 'Fichier',
  recipient_ids: 'Destinataires', partie_id: 'Partie', scenario_id: 'Scénario', comment: 'Commentaire',
  tz: 'Fuseau horaire', sheet: 'Fiche', status: 'État',
};

function labelled(error, form) {
  const field = error.field;
  const prefix = field ? `${field} : ` : '';
  if (!field || !error.reason.startsWith(prefix)) return error.reason;
  const name = field.replace(/\[.*$/, '').split('.')[0];
  const control = form && form.querySelector(`[name="${CSS.escape(name)}"]`);
  const own = control && control.labels && control.labels[0] ? control.labels[0].textContent.trim() : '';
  const label = own || FIELD_LABELS[name] || name.replace(/_/g, ' ');
  return `${label} : ${error.reason.slice(prefix.length)}`;
}

/** The sentence to show for any failure (`form`: the form whose labels name the fields). */
export function reasonOf(error, form = null) {
  if (error instanceof ApiError) return labelled(error, form);
  if (error && error.message) return `Erreur inattendue : ${error.message}`;
  return 'Erreur inattendue.';
}

let toastTimer = null;
/** A short message in the corner, read out by screen readers. */
export function toast(message, kind = 'success') {
  const box = document.getElementById('toasts');
  if (!box) return;
  clearTimeout(toastTimer);
  replace(box, h('div', { class: `toast toast--${kind}` }, message));
  toastTimer = setTimeout(() => box.replaceChildren(), 5000);
}

/**
 * Asks for confirmation in a modal dialog (keyboard: Tab stays inside, Échap cancels).
 * `content` may add controls; resolves with the dialog's form (truthy) or null when cancelled.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirmer', cancelLabel = 'Retour', danger = false, content = null }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const form = h('form', { method: 'dialog', class: 'dialog__form' },
      h('h2', { id: titleId, class: 'dialog__title' }, title),
      message && h('p', {}, message),
      content,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', value: 'confirm', class: danger ? 'btn btn--danger' : 'btn btn--primary', 'data-role': 'confirm' }, confirmLabel),
        cancelLabel && h('button', { type: 'submit', value: 'cancel', class: 'btn', formnovalidate: true, 'data-role': 'cancel' }, cancelLabel)));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      const confirmed = dialog.returnValue === 'confirm';
      dialog.remove();
      resolve(confirmed ? form : null);
    });
    dialog.showModal();
    const first = form.querySelector('textarea, input, select') || form.querySelector('[data-role=cancel]')
      || form.querySelector('[data-role=confirm]');
    first.focus();
  });
}

/** Shows an error inside a form's message area and marks the field the server named. */
export function showFormError(form, error) {
  const box = form.querySelector('.form-error');
  if (box) replace(box, notice(reasonOf(error, form), 'error'));
  if (error instanceof ApiError && error.field) {
    const name = error.field.replace(/\[.*$/, '').split('.')[0];
    const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
  }
}

export function clearFormError(form) {
  const box = form.querySelector('.form-error');
  if (box) box.replaceChildren();
  form.querySelectorAll('[aria-invalid]').forEach((control) => control.removeAttribute('aria-invalid'));
}

/** An empty area where a form shows what went wrong. */
export function formError() {
  return h('div', { class: 'form-error' });
}

/**
 * Runs `handler(form)` on submit with the submit button disabled meanwhile; a failure is shown
 * in the form. The handler's result is returned to `onDone`.
 */
export function onSubmit(form, handler) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.dataset.busy === 'true') return;
    clearFormError(form);
    // aria-disabled rather than disabled: a disabled button would lose the keyboard focus.
    const buttons = form.querySelectorAll('button[type=submit], button:not([type])');
    form.dataset.busy = 'true';
    form.setAttribute('aria-busy', 'true');
    buttons.forEach((button) => button.setAttribute('aria-disabled', 'true'));
    try {
      await handler(form, event.submitter);
    } catch (error) {
      if (error && error.name === 'AbortError') return;
      showFormError(form, error);
    } finally {
      delete form.dataset.busy;
      form.removeAttribute('aria-busy');
      buttons.forEach((button) => button.removeAttribute('aria-disabled'));
    }
  });
  return form;
}

/** Runs an action from a plain button, disabling it meanwhile; errors go to `errorBox`. */
export async function runAction(button, errorBox, action) {
  if (button && button.dataset.busy === 'true') return undefined;
  if (button) { button.dataset.busy = 'true'; button.setAttribute('aria-disabled', 'true'); }
  if (errorBox) errorBox.replaceChildren();
  try {
    return await action();
  } catch (error) {
    if (error && error.name === 'AbortError') return undefined;
    if (errorBox) replace(errorBox, notice(reasonOf(error), 'error'));
    else toast(reasonOf(error), 'error');
    return undefined;
  } finally {
    if (button) { delete button.dataset.busy; button.removeAttribute('aria-disabled'); }
  }
}

/**
 * The global banner under the header, shown while the connection is lost. It stays on screen
 * while scrolling (sticky, its height in `--banner-h` for what sticks under it), says what
 * happened once (a live region) and counts down quietly beside it, offers to try again now, and
 * says « Connexion rétablie » when it is back, then goes.
 */
export const connectionBanner = (() => {
  let hideTimer = null;
  let lastMessage = '';
  const parts = () => {
    const banner = document.getElementById('connection-banner');
    if (!banner) return null;
    if (!banner.firstChild) {
      const retry = h('button', { type: 'button', class: 'btn btn--small connection-banner__retry', 'data-testid': 'connection-retry' },
        'Réessayer maintenant');
      retry.addEventListener('click', () => { if (banner.onRetry) banner.onRetry(); });
      banner.append(
        h('p', { class: 'connection-banner__message', role: 'status', 'data-testid': 'connection-message' }),
        h('span', { class: 'connection-banner__countdown', 'data-testid': 'connection-countdown' }),
        retry);
    }
    return {
      banner,
      message: banner.querySelector('.connection-banner__message'),
      countdown: banner.querySelector('.connection-banner__countdown'),
      retry: banner.querySelector('.connection-banner__retry'),
    };
  };
  const measure = (banner) => {
    document.documentElement.style.setProperty('--banner-h', banner.hidden ? '0px' : `${banner.offsetHeight}px`);
  };
  return {
    /** Lost: `message` is read out when it changes; `retryIn` (seconds) is shown, not read. */
    show(message, { retryIn = null, onRetry = null } = {}) {
      const p = parts();
      if (!p) return;
      clearTimeout(hideTimer);
      p.banner.dataset.state = 'lost';
      p.banner.onRetry = onRetry;
      const appearing = p.banner.hidden;
      p.countdown.textContent = retryIn ? `Nouvelle tentative dans ${retryIn} s.` : '';
      p.retry.hidden = !onRetry;
      p.banner.hidden = false;
      measure(p.banner);
      if (message !== lastMessage || appearing) {
        lastMessage = message;
        // A live region that just appeared is not listened to yet: the words come a moment later.
        if (appearing) {
          p.message.textContent = '';
          setTimeout(() => { if (lastMessage === message) { p.message.textContent = message; measure(p.banner); } }, 100);
        } else {
          p.message.textContent = message;
        }
      }
    },
    /** Back after a loss: says so for a few seconds. */
    restored() {
      const p = parts();
      if (!p || p.banner.hidden || p.banner.dataset.state !== 'lost') return;
      p.banner.dataset.state = 'restored';
      p.message.textContent = 'Connexion rétablie.';
      lastMessage = '';
      p.countdown.textContent = '';
      p.retry.hidden = true;
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => this.hide(), 4000);
    },
    hide() {
      const p = parts();
      if (!p) return;
      clearTimeout(hideTimer);
      p.banner.hidden = true;
      p.banner.onRetry = null;
      delete p.banner.dataset.state;
      p.message.textContent = '';
      lastMessage = '';
      measure(p.banner);
    },
  };
})();

/** A section with a heading, as used by every page. */
export function panel(title, { id, level = 2, actions = null, class: className } = {}, ...children) {
  const headingId = id ? `${id}-title` : undefined;
  return h('section', { class: ['panel', className], id, 'aria-labelledby': headingId },
    h('div', { class: 'panel__head' }, h(`h${level}`, { id: headingId }, title), actions),
    ...children);
}
