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

/** A message block; `kind` is info, success, warning or error. Errors are announced. */
export function notice(message, kind = 'info', ...extra) {
  return h('div', {
    class: `notice notice--${kind}`,
    role: kind === 'error' ? 'alert' : 'status',
  }, h('p', {}, message), ...extra);
}

/** The sentence to show for any failure. */
export function reasonOf(error) {
  if (error instanceof ApiError) return error.reason;
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
  if (box) replace(box, notice(reasonOf(error), 'error'));
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

/** The global banner under the header: shown while the connection is lost. */
export const connectionBanner = {
  show(message) {
    const banner = document.getElementById('connection-banner');
    if (!banner) return;
    banner.textContent = message;
    banner.hidden = false;
  },
  hide() {
    const banner = document.getElementById('connection-banner');
    if (!banner) return;
    banner.hidden = true;
    banner.textContent = '';
  },
};

/** A section with a heading, as used by every page. */
export function panel(title, { id, level = 2, actions = null, class: className } = {}, ...children) {
  const headingId = id ? `${id}-title` : undefined;
  return h('section', { class: ['panel', className], id, 'aria-labelledby': headingId },
    h('div', { class: 'panel__head' }, h(`h${level}`, { id: headingId }, title), actions),
    ...children);
}
