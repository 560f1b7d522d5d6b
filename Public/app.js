// Étrange France — the web interface. Hash routes:
//   #/connexion            sign in            #/inscription          create an account
//   #/parties              my parties         #/parties/{id}         a partie
//   #/sessions/{uuid}      a session          #/invitation/{code}    join a partie by its code
//   #/compte               my account (the calendar feed)
//   #/mot-de-passe/{secret} a new password, with the link `etrange reset-password` printed
// The server also answers /invitation/{code} with this page: that address is turned into
// #/invitation/{code} on load; so are the other routes written without their `#` (/parties/1).

import { api, session, onUnauthorized, displayName } from '/js/api.js';
import { h, replace } from '/js/dom.js';
import { notice, reasonOf, toast, connectionBanner } from '/js/ui.js';
import { renderAuth } from '/js/views/auth.js';
import { renderParties } from '/js/views/parties.js';
import { renderPartie } from '/js/views/partie.js';
import { renderSession } from '/js/views/session.js';
import { renderInvitation, pendingInvitation } from '/js/views/invitation.js';
import { renderAccount } from '/js/views/account.js';
import { renderPasswordReset } from '/js/views/password-reset.js';

const main = document.getElementById('main');

const routes = [
  { pattern: /^\/connexion$/, view: (ctx) => renderAuth(ctx, 'login'), public: true },
  { pattern: /^\/inscription$/, view: (ctx) => renderAuth(ctx, 'register'), public: true },
  { pattern: /^\/invitation\/([^/]+)$/, view: (ctx, code) => renderInvitation(ctx, decodeURIComponent(code)), public: true },
  { pattern: /^\/parties$/, view: (ctx) => renderParties(ctx) },
  { pattern: /^\/parties\/(\d+)$/, view: (ctx, id) => renderPartie(ctx, Number(id)) },
  { pattern: /^\/sessions\/([0-9a-fA-F-]{36})$/, view: (ctx, id) => renderSession(ctx, id) },
  { pattern: /^\/compte$/, view: (ctx) => renderAccount(ctx) },
  { pattern: /^\/mot-de-passe\/([^/]+)$/, view: (ctx, secret) => renderPasswordReset(ctx, decodeURIComponent(secret)), public: true },
];

let current = null; // { controller, cleanups, guards, path }
let returnTo = null;
let firstRender = true;

export function navigate(path, { replace: replaceEntry = false } = {}) {
  const hash = `#${path}`;
  if (location.hash === hash) {
    route();
  } else if (replaceEntry) {
    history.replaceState(null, '', `/${hash}`);
    route();
  } else {
    location.hash = hash;
  }
}

/** After signing in: the page that was asked for, the pending invitation, or the parties. */
export function afterSignIn() {
  const code = pendingInvitation();
  if (code) return navigate(`/invitation/${encodeURIComponent(code)}`, { replace: true });
  const target = returnTo && !/^\/(connexion|inscription)$/.test(returnTo) ? returnTo : '/parties';
  returnTo = null;
  return navigate(target, { replace: true });
}

export function signOut(message) {
  session.clear();
  renderUserBox();
  navigate('/connexion', { replace: true });
  if (message) toast(message, 'warning');
}

function currentPath() {
  const hash = location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/parties';
}

const LEAVE_QUESTION = 'Des modifications ne sont pas enregistrées. Quitter la page et les perdre ?';

/** Whether the page shown holds edits not saved yet (its forms say so through ctx.onLeave). */
function unsaved() {
  return Boolean(current && current.guards.some((guard) => { try { return guard(); } catch { return false; } }));
}

async function route() {
  const path = currentPath();
  if (current && current.path !== path && unsaved() && !window.confirm(LEAVE_QUESTION)) {
    // Stay: the address goes back to the page, without another hashchange.
    history.replaceState(null, '', `/#${current.path}`);
    return;
  }
  if (current) {
    current.controller.abort();
    current.cleanups.forEach((cleanup) => { try { cleanup(); } catch (error) { console.error(error); } });
  }
  connectionBanner.hide();
  const match = routes.map((r) => ({ r, m: path.match(r.pattern) })).find(({ m }) => m);
  const controller = new AbortController();
  const cleanups = [];
  const guards = [];
  current = { controller, cleanups, guards, path };
  const ctx = {
    main,
    signal: controller.signal,
    onCleanup: (fn) => cleanups.push(fn),
    /** `isDirty()` true: leaving the page asks first (in the app, and when the tab closes). */
    onLeave: (isDirty) => guards.push(isDirty),
    navigate,
    afterSignIn,
    signOut,
    user: session.user,
    setTitle: (title) => { document.title = title ? `${title} — Étrange France` : 'Étrange France'; },
    refreshUser: renderUserBox,
  };

  renderUserBox();
  replace(main, h('p', { class: 'loading', 'aria-busy': 'true' }, 'Chargement…'));
  if (!match) {
    ctx.setTitle('Page introuvable');
    replace(main, h('h1', { tabindex: '-1' }, 'Page introuvable'),
      notice('Cette adresse ne correspond à aucune page.', 'error',
        h('p', {}, h('a', { href: '#/parties' }, 'Revenir à mes parties'))));
    focusHeading();
    return;
  }
  if (!match.r.public && !session.token) {
    returnTo = path;
    navigate('/connexion', { replace: true });
    return;
  }
  try {
    await match.r.view(ctx, ...match.m.slice(1));
  } catch (error) {
    if ((error && error.name === 'AbortError') || controller.signal.aborted) return;
    console.error(error);
    replace(main, h('h1', { tabindex: '-1' }, 'Erreur'), notice(reasonOf(error), 'error'));
  }
  if (!controller.signal.aborted) focusHeading();
}

function focusHeading() {
  if (firstRender) { firstRender = false; return; }
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

function renderUserBox() {
  const box = document.getElementById('user-box');
  const user = session.user;
  if (!session.token || !user) {
    replace(box, h('a', { class: 'btn btn--small btn--ghost', href: '#/connexion' }, 'Se connecter'));
    return;
  }
  replace(box,
    h('a', {
      class: 'user-box__name', href: '#/compte', 'data-testid': 'current-user',
      title: `Connecté·e en tant que ${user.username} — mon compte et mon agenda`,
    }, h('span', { class: 'sr-only' }, 'Mon compte : '), displayName(user)),
    h('button', {
      type: 'button', class: 'btn btn--small btn--ghost', 'data-testid': 'logout',
      onClick: async () => {
        try { await api('/api/auth/logout', { method: 'POST' }); } catch { /* signed out locally anyway */ }
        signOut('Vous êtes déconnecté·e.');
      },
    }, 'Se déconnecter'));
}

function boot() {
  // /invitation/CODE (the QR code's link) becomes #/invitation/CODE on the root page.
  const invitation = location.pathname.match(/^\/invitation\/([^/]+)\/?$/);
  if (invitation) {
    history.replaceState(null, '', `/#/invitation/${invitation[1]}`);
  } else if (location.pathname !== '/' && location.pathname !== '/index.html') {
    // An address of the page written without its `#` (the server answers those with this page):
    // the page it names, when there is one.
    const path = location.pathname.replace(/\/+$/, '');
    const known = !location.hash && routes.some((r) => r.pattern.test(path));
    history.replaceState(null, '', known ? `/#${path}` : `/${location.hash}`);
  }

  // Several requests may be refused at once: the first one signs out, the others have nothing to do.
  onUnauthorized(() => {
    if (!session.token) return;
    const path = currentPath();
    if (!/^\/(connexion|inscription)$/.test(path)) returnTo = path;
    // Signed out anyway: asking to stay would leave a page that can no longer save.
    if (current) current.guards.length = 0;
    signOut('Votre connexion a expiré : reconnectez-vous.');
  });

  document.getElementById('skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });

  window.addEventListener('hashchange', route);
  window.addEventListener('beforeunload', (event) => {
    if (!unsaved()) return;
    event.preventDefault();
    event.returnValue = LEAVE_QUESTION; // older browsers show their own words anyway
  });
  route();

  // Refresh who the token belongs to (display name changes, revoked token → 401 → sign-in).
  if (session.token) {
    api('/api/me').then((user) => { session.save({ user }); renderUserBox(); }).catch(() => {});
  }
}

boot();
