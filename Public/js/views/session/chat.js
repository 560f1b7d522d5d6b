// The session's chat: the latest messages (newest at the bottom), older ones on demand, new ones
// as they happen. Text messages are people talking; « draw » messages are the card draws' lines;
// « system » messages are what the server says about the session.

import { api, displayName } from '../../api.js';
import { h, replace, uid, formatTime, formatDateTime } from '../../dom.js';
import { formError, notice, onSubmit, panel, reasonOf } from '../../ui.js';

const PAGE = 50;
const MAX_BODY = 2000;
const NEAR_BOTTOM_PX = 48;

/**
 * @param {{sessionId: string, me: {id: number}}} options
 * @returns {{element: HTMLElement, receive(message): void, sync(): Promise<void>, reset(): void}}
 */
export function chatPanel({ sessionId, me }) {
  const base = `/api/sessions/${encodeURIComponent(sessionId)}/messages`;
  const nodes = new Map(); // id → <li>, in the order of the ids
  let loaded = false;
  let hasMore = false;
  let blocked = null; // the reason the server gave for not showing the chat, if any
  let syncing = null;
  let resync = false;

  const listId = uid('chat-list');
  const list = h('ol', {
    class: 'chat__list', id: listId, 'aria-label': 'Messages de la session', tabindex: '0', 'data-testid': 'chat-list',
  });
  // The live region wraps the list: given to the <ol> itself, the role would take its list away.
  const log = h('div', { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions' }, list);
  const status = h('div', { class: 'chat__status', 'data-testid': 'chat-status' });
  const olderButton = h('button', {
    type: 'button', class: 'btn btn--small chat__older', 'data-testid': 'chat-older', hidden: true,
    onClick: () => loadOlder(),
  }, 'Charger les messages précédents');
  const olderError = h('div');
  const jumpButton = h('button', {
    type: 'button', class: 'btn btn--small chat__jump', hidden: true, 'data-testid': 'chat-jump',
    onClick: () => { scrollToBottom(); jumpButton.hidden = true; },
  }, 'Nouveaux messages ↓');

  const inputId = uid('chat-input');
  const hintId = `${inputId}-hint`;
  const input = h('input', {
    type: 'text', id: inputId, name: 'body', maxlength: MAX_BODY, required: true, autocomplete: 'off',
    enterkeyhint: 'send', 'aria-describedby': hintId, 'data-testid': 'chat-input',
  });
  const closedNote = h('p', { class: 'muted chat__closed', 'data-testid': 'chat-closed', hidden: true });
  const form = h('form', { class: 'chat__form', 'data-testid': 'chat-form' },
    h('label', { for: inputId, class: 'chat__label' }, 'Votre message'),
    h('div', { class: 'chat__compose' },
      input,
      h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'chat-send' }, 'Envoyer')),
    h('p', { class: 'field__hint', id: hintId }, `Visible par toute la table, ${MAX_BODY} caractères au plus.`),
    formError());

  onSubmit(form, async () => {
    const body = input.value.trim();
    if (!body) { input.focus(); return; }
    const message = await api(base, { method: 'POST', body: { body } });
    input.value = '';
    add([message], { mine: true });
    input.focus();
  });

  list.addEventListener('scroll', () => { if (isNearBottom()) jumpButton.hidden = true; });

  const element = panel('Discussion', { id: 'chat', class: 'chat' },
    status,
    h('div', { class: 'chat__top' }, olderButton, olderError),
    h('div', { class: 'chat__frame' }, log, jumpButton),
    form,
    closedNote);

  function isNearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    list.scrollTop = list.scrollHeight;
  }

  function showState() {
    list.hidden = Boolean(blocked);
    if (blocked) {
      replace(status, notice(blocked, 'info'));
    } else if (!loaded) {
      replace(status, h('p', { class: 'loading' }, 'Chargement des messages…'));
    } else if (!nodes.size) {
      replace(status, h('p', { class: 'empty', 'data-testid': 'chat-empty' }, 'Aucun message pour l’instant : lancez la conversation.'));
    } else {
      status.replaceChildren();
    }
    olderButton.hidden = !loaded || !hasMore || Boolean(blocked);
  }

  function messageNode(message) {
    const kind = ['text', 'draw', 'system'].includes(message.kind) ? message.kind : 'text';
    const author = displayName(message);
    const mine = message.user_id != null && message.user_id === me.id;
    const time = message.created_at
      ? h('time', { class: 'chat__time', datetime: message.created_at, title: formatDateTime(message.created_at) }, formatTime(message.created_at))
      : null;
    const dataset = { id: String(message.id), kind };
    if (message.draw_id) dataset.drawId = String(message.draw_id);
    if (kind === 'system') {
      return h('li', { class: 'chat__msg chat__msg--system', 'data-testid': 'chat-message', dataset },
        h('span', { class: 'sr-only' }, 'Message du système : '),
        h('span', { class: 'chat__body' }, message.body), ' ', time);
    }
    return h('li', { class: ['chat__msg', `chat__msg--${kind}`, mine && 'is-mine'], 'data-testid': 'chat-message', dataset },
      h('div', { class: 'chat__meta' },
        kind === 'draw' && h('span', { class: 'chat__icon', 'aria-hidden': 'true' }, '♠'),
        h('span', { class: 'chat__author' }, author || (kind === 'draw' ? 'Tirage' : 'Quelqu’un'), mine ? ' (vous)' : ''),
        kind === 'draw' && h('span', { class: 'sr-only' }, ' : tirage de cartes'),
        time),
      h('p', { class: 'chat__body' }, message.body));
  }

  /** Adds messages where their ids put them; known ids are left alone. */
  function add(messages, { mine = false } = {}) {
    const fresh = (messages || []).filter((m) => m && m.id != null && !nodes.has(m.id)).sort((a, b) => a.id - b.id);
    if (!fresh.length) return;
    const stick = isNearBottom() || mine;
    let appendedAtEnd = false;
    for (const message of fresh) {
      const node = messageNode(message);
      const next = [...nodes.keys()].find((id) => id > message.id);
      if (next === undefined) { list.append(node); appendedAtEnd = true; } else list.insertBefore(node, nodes.get(next));
      nodes.set(message.id, node);
    }
    // Keep the map in id order for the next insertions.
    const sorted = [...nodes.entries()].sort((a, b) => a[0] - b[0]);
    nodes.clear();
    sorted.forEach(([id, node]) => nodes.set(id, node));
    showState();
    if (stick) scrollToBottom();
    else if (appendedAtEnd) jumpButton.hidden = false;
  }

  function firstId() { return nodes.size ? nodes.keys().next().value : null; }
  function lastId() { return nodes.size ? [...nodes.keys()].pop() : null; }

  async function fetchPage(query) {
    try {
      const data = await api(`${base}?${query}`);
      blocked = null;
      return data;
    } catch (error) {
      if (error.status === 403 || error.status === 409) {
        blocked = reasonOf(error);
        loaded = true;
        showState();
        return null;
      }
      throw error;
    }
  }

  async function loadLatest() {
    const data = await fetchPage(`limit=${PAGE}`);
    if (!data) return;
    loaded = true;
    hasMore = Boolean(data.has_more);
    add(data.items);
    showState();
    scrollToBottom();
  }

  /** What was said since the last message we have (after a reconnection, or while polling). */
  async function loadNewer() {
    for (let round = 0; round < 5; round += 1) {
      const after = lastId();
      if (after === null) { await loadLatest(); return; }
      const data = await fetchPage(`limit=${PAGE}&after=${encodeURIComponent(after)}`);
      if (!data) return;
      add(data.items);
      if (!data.has_more || !data.items.length) return;
    }
  }

  async function loadOlder() {
    const before = firstId();
    if (before === null || olderButton.dataset.busy === 'true') return;
    olderButton.dataset.busy = 'true';
    olderButton.setAttribute('aria-disabled', 'true');
    olderError.replaceChildren();
    const fromBottom = list.scrollHeight - list.scrollTop;
    try {
      const data = await fetchPage(`limit=${PAGE}&before=${encodeURIComponent(before)}`);
      if (!data) return;
      hasMore = Boolean(data.has_more);
      add(data.items);
      // Stay on the message that was at the top, rather than jumping.
      list.scrollTop = list.scrollHeight - fromBottom;
      showState();
      const first = nodes.get(data.items.length ? Math.min(...data.items.map((m) => m.id)) : before);
      if (first) { first.setAttribute('tabindex', '-1'); first.focus({ preventScroll: true }); }
    } catch (error) {
      replace(olderError, notice(reasonOf(error), 'error'));
    } finally {
      delete olderButton.dataset.busy;
      olderButton.removeAttribute('aria-disabled');
    }
  }

  /** Brings the chat up to date: the latest page the first time, what is new afterwards. */
  function sync() {
    if (syncing) { resync = true; return syncing; }
    syncing = (loaded && !blocked ? loadNewer() : loadLatest())
      .catch((error) => {
        if (!loaded) replace(status, notice(reasonOf(error), 'error'));
      })
      .finally(() => {
        syncing = null;
        if (resync) { resync = false; sync(); }
      });
    return syncing;
  }

  showState();
  return {
    element,
    receive(message) {
      if (blocked) return;
      add([message]);
    },
    sync,
    /** Whether the caller may write now; `why` says otherwise (shown instead of the form). */
    setWritable(writable, why = '') {
      form.hidden = !writable;
      closedNote.hidden = writable;
      closedNote.textContent = writable ? '' : why;
    },
    /** The caller's access may have changed (a seat taken or given up): ask again. */
    reset() {
      blocked = null;
      sync();
    },
  };
}
