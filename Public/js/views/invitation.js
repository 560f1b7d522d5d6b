// The page the QR code's link opens: join the partie, after signing in or up if needed.

import { api, session } from '../api.js';
import { h, replace } from '../dom.js';
import { notice, toast } from '../ui.js';
import { loadOrExplain } from './common.js';

const KEY = 'etrange.invitation';

/** The invitation code waiting for the person to sign in, if any. */
export function pendingInvitation() {
  try { return sessionStorage.getItem(KEY); } catch { return null; }
}

function remember(code) {
  try { sessionStorage.setItem(KEY, code); } catch { /* private mode: the link still works once signed in */ }
}

function forget() {
  try { sessionStorage.removeItem(KEY); } catch { /* nothing to forget */ }
}

export async function renderInvitation(ctx, code) {
  ctx.setTitle('Invitation');
  if (!session.token) {
    remember(code);
    replace(ctx.main,
      h('div', { class: 'auth' },
        h('h1', {}, 'Invitation à une partie'),
        notice('Pour rejoindre cette partie, connectez-vous ou créez un compte : vous la rejoindrez aussitôt après.', 'info'),
        h('div', { class: 'card actions actions--stack' },
          h('a', { class: 'btn btn--primary', href: '#/inscription', 'data-testid': 'invitation-register' }, 'Créer un compte'),
          h('a', { class: 'btn', href: '#/connexion', 'data-testid': 'invitation-login' }, 'J’ai déjà un compte'))));
    return;
  }

  replace(ctx.main, h('h1', {}, 'Invitation à une partie'), h('p', { class: 'loading', 'aria-busy': 'true' }, 'Vous rejoignez la partie…'));
  const partie = await loadOrExplain(ctx, 'Invitation à une partie', () =>
    api('/api/parties/join', { method: 'POST', body: { invite_code: code }, signal: ctx.signal }));
  forget();
  if (!partie) return;
  toast(`Vous avez rejoint « ${partie.name} ».`);
  ctx.navigate(`/parties/${partie.id}`, { replace: true });
}
