// The page the QR code's link opens: join the partie, after signing in or up if needed. Before
// anything, the code is checked (`GET /api/invitations/{code}`, public) and the page names the
// partie and its MJ, so that nobody signs up for a code that no longer works.

import { api, session } from '../api.js';
import { h, replace } from '../dom.js';
import { notice, toast } from '../ui.js';
import { loadOrExplain } from './common.js';

const KEY = 'etrange.invitation';
const PREVIEW_KEY = 'etrange.invitation.preview';

/** The invitation code waiting for the person to sign in, if any. */
export function pendingInvitation() {
  try { return sessionStorage.getItem(KEY); } catch { return null; }
}

/** What the pending invitation opens ({partie_name, mj_name}), once checked. */
export function pendingInvitationPreview() {
  try { return JSON.parse(sessionStorage.getItem(PREVIEW_KEY) || 'null'); } catch { return null; }
}

function remember(code, preview) {
  try {
    sessionStorage.setItem(KEY, code);
    sessionStorage.setItem(PREVIEW_KEY, JSON.stringify(preview));
  } catch { /* private mode: the link still works once signed in */ }
}

function forget() {
  try { sessionStorage.removeItem(KEY); sessionStorage.removeItem(PREVIEW_KEY); } catch { /* nothing to forget */ }
}

/** « Les Brumes de Carnac », menée par Madame Irma. */
export function invitationSummary(preview) {
  return h('p', { class: 'invitation__what', 'data-testid': 'invitation-summary' },
    h('strong', { 'data-testid': 'invitation-partie' }, `« ${preview.partie_name} »`),
    ', une partie menée par ',
    h('strong', { 'data-testid': 'invitation-mj' }, preview.mj_name),
    ' (MJ).');
}

export async function renderInvitation(ctx, code) {
  ctx.setTitle('Invitation');
  if (!session.token) {
    const preview = await loadOrExplain(ctx, 'Invitation à une partie', () =>
      api(`/api/invitations/${encodeURIComponent(code)}`, { auth: false, signal: ctx.signal }));
    if (!preview) { forget(); return; }
    remember(code, preview);
    replace(ctx.main,
      h('div', { class: 'auth' },
        h('h1', {}, 'Invitation à une partie'),
        h('div', { class: 'card' },
          h('p', {}, 'Vous êtes invité·e à rejoindre :'),
          invitationSummary(preview)),
        notice('Pour la rejoindre, connectez-vous ou créez un compte : vous la rejoindrez aussitôt après.', 'info'),
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
