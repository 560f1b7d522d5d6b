// The session page laid out as a table. On a phone, three tabs — « Tirer » (my seat and the
// draws), « Discussion » (the chat), « Table » (who is there, the account) — with the count of
// chat lines that arrived while another tab was shown. On a laptop, no tabs: the chat is a column
// that stays on screen beside the rest.
//
// The unread count watches the chat's list (a MutationObserver) rather than the chat's code: a
// line counts when its id is newer than every line seen, it is not mine, and it did not come in a
// whole page (the first load, or the reload after taking a seat).

import { h, uid } from '../../dom.js';

const PHONE = '(max-width: 879px)';
const TABS = [
  { key: 'tirer', label: 'Tirer' },
  { key: 'discussion', label: 'Discussion' },
  { key: 'table', label: 'Table' },
];

/**
 * @param {{parts: {tirer: Node[], discussion: Node[], table: Node[]}, chatElement: HTMLElement,
 *   whoLine: HTMLElement, initial?: string}} options
 * @returns {{bar: HTMLElement, element: HTMLElement, select(key: string): void, setFinished(finished: boolean): void,
 *   stop(): void}}
 */
export function tableLayout({ parts, chatElement, whoLine, initial = 'tirer' }) {
  const id = uid('table');
  const regions = {};
  const tabs = {};
  for (const { key, label } of TABS) {
    regions[key] = h('div', { class: ['table__part', `table__part--${key}`], id: `${id}-${key}`, 'data-testid': `table-part-${key}` },
      parts[key]);
    tabs[key] = h('button', {
      type: 'button', class: 'table__tab', id: `${id}-tab-${key}`, 'data-testid': `tab-${key}`, dataset: { tab: key },
      onClick: () => select(key),
    }, label);
  }
  const badge = h('span', { class: 'table__badge', 'data-testid': 'unread-count', hidden: true });
  tabs.discussion.append(badge);
  const tablist = h('div', { class: 'table__tabs', 'aria-label': 'Parties de la table' }, TABS.map((t) => tabs[t.key]));
  const bar = h('div', { class: 'table__bar', 'data-testid': 'table-bar' }, whoLine, tablist);
  const element = h('div', { class: 'table', 'data-testid': 'table' }, TABS.map((t) => regions[t.key]));

  const media = window.matchMedia(PHONE);
  let selected = initial;
  let phone = false;
  let unread = 0;

  function drawBadge() {
    badge.hidden = unread === 0;
    badge.textContent = unread === 0 ? '' : String(unread);
    badge.setAttribute('aria-label', unread === 1 ? '1 message non lu' : `${unread} messages non lus`);
    tabs.discussion.dataset.unread = String(unread);
  }

  function select(key, { focus = false } = {}) {
    selected = key;
    if (key === 'discussion') { unread = 0; drawBadge(); }
    applyMode();
    if (focus) tabs[key].focus();
  }

  /** Tabs and their roles only on a phone: on a laptop every part is shown, as plain regions. */
  function applyMode() {
    phone = media.matches;
    element.classList.toggle('table--tabs', phone);
    tablist.hidden = !phone;
    if (phone) tablist.setAttribute('role', 'tablist');
    else tablist.removeAttribute('role');
    for (const { key } of TABS) {
      const tab = tabs[key];
      const region = regions[key];
      if (phone) {
        tab.setAttribute('role', 'tab');
        tab.setAttribute('aria-controls', region.id);
        tab.setAttribute('aria-selected', String(key === selected));
        tab.tabIndex = key === selected ? 0 : -1;
        region.setAttribute('role', 'tabpanel');
        region.setAttribute('aria-labelledby', tab.id);
        region.hidden = key !== selected;
      } else {
        for (const name of ['role', 'aria-controls', 'aria-selected', 'tabindex']) tab.removeAttribute(name);
        for (const name of ['role', 'aria-labelledby']) region.removeAttribute(name);
        region.hidden = false;
      }
    }
    if (!phone && unread) { unread = 0; drawBadge(); }
  }

  // Arrows move between tabs (and show the one reached), Home and End go to the ends.
  tablist.addEventListener('keydown', (event) => {
    if (!phone) return;
    const keys = TABS.map((t) => t.key);
    const at = keys.indexOf(selected);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: keys.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(keys[(next + keys.length) % keys.length], { focus: true });
  });

  // --- The unread count.
  let newest = null; // the highest message id seen
  const messageIds = () => [...chatElement.querySelectorAll('[data-testid=chat-message][data-id]')]
    .map((node) => ({ node, id: Number(node.dataset.id) })).filter(({ id }) => Number.isFinite(id));
  const observer = new MutationObserver((records) => {
    // A whole page arrives with the chat's state changing (its « Chargement… » or its refusal
    // going away, its list shown again): none of it is news.
    const bulk = records.some((record) => (record.type === 'attributes' && record.target.matches('[data-testid=chat-list]'))
      || [...record.removedNodes].some((node) => node.nodeType === 1 && (node.matches('.loading, .notice') || node.querySelector('.loading, .notice'))));
    let fresh = 0;
    let highest = newest;
    for (const { node, id } of messageIds()) {
      if (newest !== null && id <= newest) continue;
      if (!bulk && newest !== null && !node.classList.contains('is-mine')) fresh += 1;
      if (highest === null || id > highest) highest = id;
    }
    if (newest === null && !messageIds().length && !bulk) return;
    newest = highest === null ? 0 : highest;
    if (fresh && phone && selected !== 'discussion') {
      unread += fresh;
      drawBadge();
    }
  });
  observer.observe(chatElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden'] });

  const onChange = () => applyMode();
  media.addEventListener('change', onChange);
  applyMode();
  drawBadge();

  return {
    bar,
    element,
    select,
    /** Once the session is over its account is what the page is about: the « Table » part leads. */
    setFinished(finished) { element.classList.toggle('table--finished', finished); },
    stop() {
      observer.disconnect();
      media.removeEventListener('change', onChange);
    },
  };
}
