// What every page does while loading: retry on its own when the connection is lost, and say
// clearly why a page cannot be shown.

import { h, replace } from '../dom.js';
import { notice, reasonOf } from '../ui.js';

function abortError() {
  const error = new Error('Navigation abandonnée');
  error.name = 'AbortError';
  return error;
}

/** Waits `ms`, or less if `wake` is called, or throws when the page is left. */
function pause(ms, signal, register) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(abortError());
    }
    signal.addEventListener('abort', aborted, { once: true });
    register(done);
  });
}

/**
 * Runs `load()` until it works. While the server cannot be reached, the page says so and tries
 * again by itself (2, 4, 8… up to 30 s), with a button to try at once. Any other failure is shown
 * with the server's reason and `null` is returned.
 */
export async function loadOrExplain(ctx, title, load) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await load();
    } catch (error) {
      if (ctx.signal.aborted || (error && error.name === 'AbortError')) throw abortError();
      const transient = error && (error.isNetwork || error.status >= 500);
      if (!transient) {
        showPageError(ctx, title, error);
        return null;
      }
      const seconds = Math.min(2 ** attempt, 30);
      const counter = h('span', {}, String(seconds));
      let wake = () => {};
      ctx.setTitle(title);
      replace(ctx.main,
        h('h1', { tabindex: '-1' }, title),
        h('div', { class: 'notice notice--warning', role: 'alert', 'data-testid': 'connection-lost' },
          h('p', {}, reasonOf(error)),
          h('p', {}, 'Nouvelle tentative automatique dans ', counter, ' s.'),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'btn', onClick: () => wake() }, 'Réessayer maintenant'))));
      const started = Date.now();
      const ticker = setInterval(() => {
        counter.textContent = String(Math.max(0, seconds - Math.floor((Date.now() - started) / 1000)));
      }, 1000);
      try {
        await pause(seconds * 1000, ctx.signal, (done) => { wake = done; });
      } finally {
        clearInterval(ticker);
      }
      replace(ctx.main, h('p', { class: 'loading', 'aria-busy': 'true' }, 'Nouvelle tentative…'));
    }
  }
}

export function showPageError(ctx, title, error) {
  ctx.setTitle(title);
  replace(ctx.main,
    h('h1', { tabindex: '-1' }, title),
    notice(reasonOf(error), 'error',
      h('p', {}, h('a', { href: '#/parties' }, 'Revenir à mes parties'))));
}

/** A link styled as a breadcrumb back to a parent page. */
export function backLink(href, label) {
  return h('p', { class: 'back' }, h('a', { href }, h('span', { 'aria-hidden': 'true' }, '← '), label));
}

/** A message inside a list that has nothing to show. */
export function empty(text) {
  return h('p', { class: 'empty' }, text);
}
