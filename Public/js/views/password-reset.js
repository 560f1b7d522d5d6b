// Choosing a new password with the link `etrange reset-password USERNAME` printed
// (#/mot-de-passe/{secret}). There is no e-mail: the host hands the link over. Every device of the
// account is signed out, this one too: the person signs in again with the new password.

import { api, ApiError, session } from '../api.js';
import { h, replace, field } from '../dom.js';
import { formError, onSubmit, toast } from '../ui.js';

export function renderPasswordReset(ctx, secret) {
  ctx.setTitle('Nouveau mot de passe');
  const form = h('form', { class: 'form', 'data-testid': 'reset-form' },
    field({
      label: 'Nouveau mot de passe', name: 'password', type: 'password', required: true, minlength: 8,
      autocomplete: 'new-password', hint: 'Au moins 8 caractères. Tous vos appareils seront déconnectés.',
    }),
    field({ label: 'Nouveau mot de passe (encore)', name: 'password_again', type: 'password', required: true, autocomplete: 'new-password' }),
    formError(),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'reset-submit' }, 'Choisir ce mot de passe')));

  onSubmit(form, async () => {
    const password = form.elements.password.value;
    if (password !== form.elements.password_again.value) {
      throw new ApiError(400, 'Les deux mots de passe ne sont pas identiques.', 'password_again');
    }
    await api('/api/auth/reset', { method: 'POST', body: { secret, password }, auth: false });
    // The server revoked every token of the account, the one this browser may hold included.
    session.clear();
    ctx.refreshUser();
    ctx.navigate('/connexion', { replace: true });
    toast('Mot de passe changé : connectez-vous avec le nouveau.');
  });

  replace(ctx.main,
    h('div', { class: 'auth' },
      h('h1', {}, 'Nouveau mot de passe'),
      h('p', {}, 'Ce lien ne sert qu’une fois et pendant une heure.'),
      h('div', { class: 'card' }, form)));
}
