// Sign in and account creation.

import { api, session } from '../api.js';
import { h, replace, field } from '../dom.js';
import { formError, notice, onSubmit } from '../ui.js';
import { invitationSummary, pendingInvitation, pendingInvitationPreview } from './invitation.js';

export function renderAuth(ctx, mode) {
  const registering = mode === 'register';
  if (session.token && session.user) {
    ctx.afterSignIn();
    return;
  }
  ctx.setTitle(registering ? 'Créer un compte' : 'Connexion');
  const invitation = pendingInvitation();
  const preview = invitation && pendingInvitationPreview();

  const form = h('form', { class: 'form', novalidate: false, 'data-testid': registering ? 'register-form' : 'login-form' },
    field({ label: 'Nom d’utilisateur', name: 'username', required: true, autocomplete: 'username',
      minlength: registering ? 3 : undefined, maxlength: 32, autocapitalize: 'none', spellcheck: 'false',
      hint: registering ? '3 à 32 caractères : lettres, chiffres, « _ », « . » et « - ».' : undefined }),
    registering && field({ label: 'Nom affiché (facultatif)', name: 'display_name', maxlength: 64, autocomplete: 'nickname',
      hint: 'Le nom que verront les autres joueurs.' }),
    field({ label: 'Mot de passe', name: 'password', type: 'password', required: true,
      minlength: registering ? 8 : undefined,
      autocomplete: registering ? 'new-password' : 'current-password',
      hint: registering ? 'Au moins 8 caractères.' : undefined }),
    formError(),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'auth-submit' },
        registering ? 'Créer mon compte' : 'Se connecter')));

  onSubmit(form, async () => {
    const data = new FormData(form);
    const body = { username: String(data.get('username')).trim(), password: String(data.get('password')) };
    if (registering) {
      const displayName = String(data.get('display_name') || '').trim();
      if (displayName) body.display_name = displayName;
    }
    const result = await api(registering ? '/api/auth/register' : '/api/auth/login', { method: 'POST', body, auth: false });
    session.save(result);
    ctx.refreshUser();
    ctx.afterSignIn();
  });

  replace(ctx.main,
    h('div', { class: 'auth' },
      h('h1', {}, registering ? 'Créer un compte' : 'Connexion'),
      invitation && notice(
        registering
          ? 'Vous êtes invité·e à rejoindre une partie : créez votre compte, vous la rejoindrez aussitôt.'
          : 'Vous êtes invité·e à rejoindre une partie : connectez-vous (ou créez un compte) pour la rejoindre.',
        'info', preview && invitationSummary(preview)),
      h('div', { class: 'card' }, form),
      h('p', { class: 'auth__switch' },
        registering ? 'Déjà un compte ? ' : 'Pas encore de compte ? ',
        h('a', { href: registering ? '#/connexion' : '#/inscription', 'data-testid': 'auth-switch' },
          registering ? 'Se connecter' : 'Créer un compte'))));
}
