// The MJ's control bar: start, pause, resume, end (with the summary), cancel, and delete a session
// not played. Only the moves the server lists in `allowed_actions` are offered.

import { api } from '../../api.js';
import { h, replace, uid, redrawKeepingFocus } from '../../dom.js';
import { confirmDialog, runAction, toast } from '../../ui.js';

const ACTIONS = {
  start: { label: 'Démarrer', done: 'Session démarrée.', primary: true },
  pause: { label: 'Mettre en pause', done: 'Session en pause.' },
  resume: { label: 'Reprendre', done: 'Session reprise.', primary: true },
  end: { label: 'Terminer…', done: 'Session terminée.', danger: true },
  cancel: { label: 'Annuler la session…', done: 'Session annulée.', danger: true },
};

/**
 * @param {{sessionId: string, state: object, editor: object, channel: object,
 *   applySession: (s: object, options: {force: boolean}) => void, navigate: (path: string) => void}} options
 *   `editor` is the account editor: ending a session sends the account with its summary.
 */
export function controlBar({ sessionId, state, editor, channel, applySession, navigate }) {
  const actionsBox = h('div', { class: 'actions', 'data-testid': 'session-actions' });
  const actionError = h('div', { 'data-testid': 'action-error' });
  const element = h('section', { class: 'panel control-bar', 'aria-labelledby': 'control-title' },
    h('h2', { class: 'control-bar__title', id: 'control-title' }, 'Conduite de la session'), actionsBox, actionError);
  let lastKey = '';

  function draw() {
    const s = state.session;
    const key = `${s.status}|${s.allowed_actions.join(',')}`;
    if (key === lastKey) return;
    lastKey = key;
    const buttons = s.allowed_actions.map((action) => {
      const spec = ACTIONS[action] || { label: action };
      const button = h('button', {
        type: 'button',
        class: ['btn', spec.primary && 'btn--primary', spec.danger && 'btn--danger-outline'],
        'data-testid': `action-${action}`,
        onClick: () => transition(action, button),
      }, spec.label);
      return button;
    });
    if (s.status === 'scheduled' || s.status === 'cancelled') {
      const button = h('button', {
        type: 'button', class: 'btn btn--danger-outline', 'data-testid': 'action-delete',
        onClick: () => remove(button),
      }, 'Supprimer…');
      buttons.push(button);
    }
    redrawKeepingFocus(actionsBox, () => replace(actionsBox, buttons.length ? buttons
      : h('p', { class: 'muted' }, 'Cette session est terminée : seul son compte rendu peut encore être modifié.')));
  }

  async function transition(action, button) {
    let body;
    if (action === 'end') {
      const summaryId = uid('end-summary');
      const form = await confirmDialog({
        title: 'Terminer la session ?',
        message: 'Une session terminée ne peut plus être reprise. Vous pouvez écrire ou compléter son résumé maintenant (modifiable ensuite).',
        content: h('div', { class: 'field' },
          h('label', { for: summaryId }, 'Résumé de la session'),
          h('textarea', { id: summaryId, name: 'summary', rows: 6, maxlength: 20000, 'data-testid': 'end-summary', value: editor.value().summary || '' })),
        confirmLabel: 'Terminer la session', danger: true,
      });
      if (!form) return;
      const account = editor.collect();
      const summary = form.querySelector('textarea[name=summary]').value.trim();
      body = { ...account.body, summary: summary || null };
      if (!summary) delete body.summary;
      editor.setSummary(summary);
    } else if (action === 'cancel') {
      const ok = await confirmDialog({
        title: 'Annuler la session ?',
        message: 'Une session annulée ne peut plus être démarrée ni reprise.',
        confirmLabel: 'Annuler la session', cancelLabel: 'Ne pas annuler', danger: true,
      });
      if (!ok) return;
    }
    const updated = await runAction(button, actionError, () =>
      api(`/api/sessions/${sessionId}/${action}`, { method: 'POST', body }));
    if (!updated) return;
    if (action === 'end') editor.markSaved();
    toast(ACTIONS[action]?.done || 'C’est fait.');
    applySession(updated, { force: action === 'end' });
    channel.refresh();
  }

  async function remove(button) {
    const ok = await confirmDialog({
      title: 'Supprimer la session ?',
      message: 'Elle disparaîtra de l’historique de la partie. Cette action est définitive.',
      confirmLabel: 'Supprimer', danger: true,
    });
    if (!ok) return;
    const done = await runAction(button, actionError, async () => {
      await api(`/api/sessions/${sessionId}`, { method: 'DELETE' });
      return true;
    });
    if (!done) return;
    toast('Session supprimée.');
    navigate(`/parties/${state.partie.id}`);
  }

  return { element, draw };
}
