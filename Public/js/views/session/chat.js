// The session's chat: the latest messages (newest at the bottom), older ones on demand, new ones
// as they happen. Text messages are people talking; « draw » messages are the card draws' lines;
// « system » messages are what the server says about the session. A line's scope says who it is
// for: everyone, a few (« private »: the MJ's chosen players, or a player's line to the MJ), or
// everyone as the MJ's announcement, which may be pinned above the page. Every live event about a
// line (chat.message, chat.edited, chat.deleted, chat.pinned, chat.unpinned) carries the line as it
// now is, so the panel simply puts it in place.

import { api, displayName } from '../../api.js';
import { h, replace, uid, formatTime, formatDateTime } from '../../dom.js';
import { confirmDialog, formError, notice, onSubmit, panel, reasonOf, toast } from '../../ui.js';

const PAGE = 50;
const MAX_BODY = 2000;
const NEAR_BOTTOM_PX = 48;

/**
 * @param {{sessionId: string, me: {id: number}, isMJ?: boolean, players?: () => Array<object>}} options
 *   `players` gives the session's participants, for the MJ's choice of private recipients.
 * @returns {{element: HTMLElement, pinnedElement: HTMLElement, receive(message): void, sync(): Promise<void>, reset(): void}}
 */
export function chatPanel({ sessionId, me, isMJ = false, players = () => [] }) {
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
  const hint = h('p', { class: 'field__hint', id: hintId });
  const audience = audienceChooser();
  const form = h('form', { class: 'chat__form', 'data-testid': 'chat-form' },
    h('label', { for: inputId, class: 'chat__label' }, 'Votre message'),
    audience.element,
    h('div', { class: 'chat__compose' },
      input,
      h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'chat-send' }, 'Envoyer')),
    hint,
    formError());

  onSubmit(form, async () => {
    const body = input.value.trim();
    if (!body) { input.focus(); return; }
    const message = await api(base, { method: 'POST', body: { body, ...audience.value() } });
    input.value = '';
    audience.sent();
    add([message], { mine: true });
    input.focus();
  });

  // Announcements pinned above the page, until the MJ takes them down.
  const pinned = new Map(); // id → message
  const pinnedElement = h('section', {
    class: 'chat-pinned', 'aria-label': 'Annonces épinglées', 'data-testid': 'chat-pinned', hidden: true,
  });

  /**
   * Who the next line is for. The MJ picks « toute la table », some players in private, or an
   * announcement (pinned or not); a player writes to the table or, in private, to the MJ only.
   */
  function audienceChooser() {
    const scopeId = uid('chat-scope');
    const pick = h('fieldset', { class: 'chat__recipients', hidden: true, 'data-testid': 'chat-recipients' },
      h('legend', {}, 'Destinataires'));
    const pin = h('input', { type: 'checkbox', id: uid('chat-pin'), 'data-testid': 'chat-pin' });
    const pinLabel = h('label', { class: 'chat__check', hidden: true }, pin, ' Épingler en haut de la page');
    const scope = isMJ
      ? h('select', { id: scopeId, 'data-testid': 'chat-scope', onChange: () => update() },
        h('option', { value: 'public' }, 'À toute la table'),
        h('option', { value: 'private' }, 'En privé à…'),
        h('option', { value: 'announcement' }, 'Annonce à toute la table'))
      : null;
    const toMJ = isMJ ? null : h('input', { type: 'checkbox', id: scopeId, 'data-testid': 'chat-private', onChange: () => update() });

    function chosen() {
      return [...pick.querySelectorAll('input:checked')].map((box) => Number(box.value));
    }

    function drawRecipients() {
      const keep = new Set(chosen());
      const people = (players() || []).filter((p) => p.is_active !== false && p.role !== 'master' && p.user_id !== me.id);
      pick.replaceChildren(h('legend', {}, 'Destinataires'));
      if (!people.length) pick.append(h('p', { class: 'muted' }, 'Aucun joueur assis pour l’instant.'));
      for (const person of people) {
        pick.append(h('label', { class: 'chat__check' },
          h('input', { type: 'checkbox', value: String(person.user_id), checked: keep.has(person.user_id), 'data-testid': 'chat-recipient' }),
          ' ', displayName(person) || person.username));
      }
    }

    function current() { return isMJ ? scope.value : (toMJ.checked ? 'private' : 'public'); }

    function update() {
      const kind = current();
      pick.hidden = !(isMJ && kind === 'private');
      if (!pick.hidden) drawRecipients();
      pinLabel.hidden = kind !== 'announcement';
      hint.textContent = {
        public: `Visible par toute la table, ${MAX_BODY} caractères au plus.`,
        private: isMJ ? 'Visible par vous et les joueurs cochés seulement.' : 'Visible par vous et le MJ seulement.',
        announcement: 'Mise en avant pour toute la table.',
      }[kind];
    }
    update();

    const element = isMJ
      ? h('div', { class: 'chat__audience' },
        h('label', { for: scopeId, class: 'chat__check' }, 'Pour : '), scope, pinLabel, pick)
      : h('div', { class: 'chat__audience' }, h('label', { class: 'chat__check', for: scopeId }, toMJ, ' En privé au MJ'));
    return {
      element,
      value() {
        const kind = current();
        if (kind === 'private' && isMJ) return { scope: kind, recipient_ids: chosen() };
        if (kind === 'announcement') return { scope: kind, pinned: pin.checked };
        return { scope: kind };
      },
      /** Back to the table after an announcement; a private conversation keeps its recipients. */
      sent() {
        if (isMJ && scope.value === 'announcement') { scope.value = 'public'; pin.checked = false; update(); }
      },
      refresh() { if (isMJ && scope.value === 'private') drawRecipients(); },
    };
  }

  function drawPinned() {
    const items = [...pinned.values()].sort((a, b) => a.id - b.id);
    pinnedElement.hidden = !items.length;
    pinnedElement.replaceChildren(...items.map((message) => h('div', { class: 'chat-pinned__item', 'data-testid': 'chat-pinned-item' },
      h('p', { class: 'chat-pinned__label' }, 'Annonce du MJ, épinglée'),
      h('p', { class: 'chat-pinned__body' }, message.body),
      isMJ && h('button', {
        type: 'button', class: 'btn btn--small', 'data-testid': 'chat-unpin',
        onClick: () => act(message, 'DELETE', '/pin'),
      }, 'Détacher'))));
  }

  function track(message) {
    if (message.scope === 'announcement' && message.pinned_at && !message.deleted_at) pinned.set(message.id, message);
    else pinned.delete(message.id);
    drawPinned();
  }

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

  /** Names the people a private line is for: « en privé à Armand, Berthe », « en privé au MJ ». */
  function privateLabel(message) {
    const names = (message.recipients || []).map((r) => (r.id === me.id ? 'vous' : displayName(r) || r.username));
    return names.length ? `en privé à ${names.join(', ')}` : 'en privé au MJ';
  }

  function canCorrect(message) {
    return message.user_id === me.id && !message.deleted_at && message.editable_until
      && Date.parse(message.editable_until) > Date.now();
  }

  async function act(message, method, suffix = '', body = undefined) {
    try {
      const updated = await api(`${base}/${encodeURIComponent(message.id)}${suffix}`, { method, body });
      put(updated);
    } catch (error) {
      toast(reasonOf(error), 'error');
    }
  }

  function actions(message) {
    if (message.deleted_at || message.kind === 'system') return null;
    const mineNow = canCorrect(message);
    const buttons = [];
    if (mineNow) {
      buttons.push(h('button', { type: 'button', class: 'btn btn--small btn--link', 'data-testid': 'chat-edit', onClick: () => startEditing(message) }, 'Corriger'));
    }
    if (mineNow || isMJ) {
      buttons.push(h('button', {
        type: 'button', class: 'btn btn--small btn--link', 'data-testid': 'chat-delete',
        onClick: async () => {
          const ok = await confirmDialog({
            title: 'Supprimer ce message ?', message: 'Son texte sera effacé pour toute la table.',
            confirmLabel: 'Supprimer', danger: true,
          });
          if (ok) act(message, 'DELETE');
        },
      }, mineNow ? 'Supprimer' : 'Retirer'));
    }
    if (isMJ && message.scope === 'announcement') {
      buttons.push(message.pinned_at
        ? h('button', { type: 'button', class: 'btn btn--small btn--link', 'data-testid': 'chat-unpin-line', onClick: () => act(message, 'DELETE', '/pin') }, 'Détacher')
        : h('button', { type: 'button', class: 'btn btn--small btn--link', 'data-testid': 'chat-pin-line', onClick: () => act(message, 'PUT', '/pin') }, 'Épingler'));
    }
    return buttons.length ? h('div', { class: 'chat__actions' }, ...buttons) : null;
  }

  function startEditing(message) {
    const node = nodes.get(message.id);
    if (!node) return;
    const fieldId = uid('chat-edit');
    const field = h('input', { type: 'text', id: fieldId, value: message.body, maxlength: MAX_BODY, required: true, 'data-testid': 'chat-edit-input' });
    const editor = h('form', { class: 'chat__edit' },
      h('label', { for: fieldId, class: 'sr-only' }, 'Corriger le message'),
      field,
      h('button', { type: 'submit', class: 'btn btn--small btn--primary' }, 'Enregistrer'),
      h('button', { type: 'button', class: 'btn btn--small', onClick: () => put(message, { force: true }) }, 'Annuler'),
      formError());
    onSubmit(editor, async () => {
      const body = field.value.trim();
      if (!body) { field.focus(); return; }
      put(await api(`${base}/${encodeURIComponent(message.id)}`, { method: 'PATCH', body: { body } }));
    });
    node.querySelector('.chat__body')?.replaceWith(editor);
    node.querySelector('.chat__actions')?.remove();
    field.focus();
  }

  function messageNode(message) {
    const kind = ['text', 'draw', 'system'].includes(message.kind) ? message.kind : 'text';
    const scope = ['private', 'announcement'].includes(message.scope) ? message.scope : 'public';
    const author = displayName(message);
    const mine = message.user_id != null && message.user_id === me.id;
    const time = message.created_at
      ? h('time', { class: 'chat__time', datetime: message.created_at, title: formatDateTime(message.created_at) }, formatTime(message.created_at))
      : null;
    const dataset = { id: String(message.id), kind, scope };
    if (message.draw_id) dataset.drawId = String(message.draw_id);
    if (message.deleted_at) dataset.deleted = 'true';
    if (kind === 'system') {
      return h('li', { class: 'chat__msg chat__msg--system', 'data-testid': 'chat-message', dataset },
        h('span', { class: 'sr-only' }, 'Message du système : '),
        h('span', { class: 'chat__body' }, message.deleted_at ? 'message supprimé' : message.body), ' ', time);
    }
    const body = message.deleted_at
      ? h('p', { class: 'chat__body chat__body--deleted', 'data-testid': 'chat-deleted' }, 'message supprimé')
      : h('p', { class: 'chat__body' }, message.body);
    return h('li', {
      class: ['chat__msg', `chat__msg--${kind}`, scope !== 'public' && `chat__msg--${scope}`, mine && 'is-mine'],
      'data-testid': 'chat-message', dataset,
    },
      h('div', { class: 'chat__meta' },
        kind === 'draw' && h('span', { class: 'chat__icon', 'aria-hidden': 'true' }, '♠'),
        scope === 'announcement' && h('span', { class: 'chat__tag chat__tag--announcement' }, 'Annonce'),
        h('span', { class: 'chat__author' }, author || (kind === 'draw' ? 'Tirage' : 'Quelqu’un'), mine ? ' (vous)' : ''),
        scope === 'private' && h('span', { class: 'chat__tag chat__tag--private', 'data-testid': 'chat-private-label' }, privateLabel(message)),
        kind === 'draw' && h('span', { class: 'sr-only' }, ' : tirage de cartes'),
        time,
        message.edited_at && !message.deleted_at && h('span', { class: 'chat__edited' }, '(corrigé)')),
      body,
      actions(message));
  }

  /**
   * Puts the line as it now is in place of what was shown. A deleted line stays deleted: an older
   * copy of it (a page read before the deletion) never brings its text back.
   */
  function put(message, { force = false } = {}) {
    track(message);
    const old = nodes.get(message.id);
    if (!old) { add([message]); return; }
    if (old.dataset.deleted === 'true' && !message.deleted_at && !force) return;
    const node = messageNode(message);
    old.replaceWith(node);
    nodes.set(message.id, node);
    expireLater(message);
  }

  /** The « Corriger » and « Supprimer » buttons go once the author's five minutes are over. */
  function expireLater(message) {
    if (!canCorrect(message)) return;
    const wait = Date.parse(message.editable_until) - Date.now() + 500;
    setTimeout(() => {
      const node = nodes.get(message.id);
      if (node && !node.querySelector('.chat__edit')) {
        const fresh = messageNode(message);
        node.replaceWith(fresh);
        nodes.set(message.id, fresh);
      }
    }, Math.min(wait, 2 ** 31 - 1));
  }

  /** Adds messages where their ids put them; known ids are left alone. */
  function add(messages, { mine = false } = {}) {
    const fresh = (messages || []).filter((m) => m && m.id != null && !nodes.has(m.id)).sort((a, b) => a.id - b.id);
    if (!fresh.length) return;
    const stick = isNearBottom() || mine;
    let appendedAtEnd = false;
    for (const message of fresh) {
      track(message);
      expireLater(message);
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
    pinned.clear();
    (data.pinned || []).forEach(track);
    add(data.items);
    drawPinned();
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
    pinnedElement,
    /** A line as an event carries it: new, corrected, deleted, pinned or unpinned. */
    receive(message) {
      if (blocked || !message) return;
      put(message);
    },
    /** The seats changed: the MJ's list of recipients follows. */
    playersChanged() { audience.refresh(); },
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
