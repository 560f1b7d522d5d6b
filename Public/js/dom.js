// Small helpers to build the DOM and to show dates in the browser's own time zone.

/**
 * Creates an element. `props`: `class`, `text`, `html` is not supported on purpose (no
 * injection), `on<Event>` listeners, `dataset`, boolean attributes, anything else as an attribute.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') element.textContent = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value' && 'value' in element) element.value = value;
    else if (key === 'checked' || key === 'selected') element[key] = Boolean(value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let counter = 0;
/** A unique id for labels and descriptions. */
export function uid(prefix = 'f') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * A labelled form control. `type` may be `textarea`, `select` (with `options: [{value, label}]`)
 * or `checkbox`; other props go to the control.
 */
export function field({ label, hint, type = 'text', options = [], class: className, ...props }) {
  const id = props.id || uid(props.name || 'f');
  const hintId = hint ? `${id}-hint` : null;
  let control;
  if (type === 'textarea') {
    control = h('textarea', { ...props, id, 'aria-describedby': hintId });
  } else if (type === 'select') {
    control = h('select', { ...props, id, 'aria-describedby': hintId },
      options.map((option) => h('option', { value: option.value, selected: option.selected }, option.label)));
  } else {
    control = h('input', { ...props, type, id, 'aria-describedby': hintId });
  }
  if (type === 'checkbox') {
    return h('div', { class: ['field', 'field--check', className] },
      control, h('label', { for: id }, label),
      hint && h('p', { class: 'field__hint', id: hintId }, hint));
  }
  return h('div', { class: ['field', className] },
    h('label', { for: id }, label),
    hint && h('p', { class: 'field__hint', id: hintId }, hint),
    control);
}

const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeStyle: 'short' });
const shortDateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat('fr-FR', { timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium' });

function parse(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `mardi 1 décembre 2026 à 20:00`, in the browser's time zone. */
export function formatDateTime(iso, { short = false } = {}) {
  const date = parse(iso);
  if (!date) return '';
  return (short ? shortDateTime : dateTime).format(date);
}

export function formatTime(iso) {
  const date = parse(iso);
  return date ? timeOnly.format(date) : '';
}

export function formatDate(iso) {
  const date = parse(iso);
  return date ? dateOnly.format(date) : '';
}

/** A <time> element showing a date in the local zone, with the exact instant as its datetime. */
export function timeElement(iso, options) {
  const date = parse(iso);
  if (!date) return null;
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, formatDateTime(iso, options));
}

export function formatDuration(minutes) {
  if (minutes === null || minutes === undefined) return '';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${String(rest).padStart(2, '0')}` : `${hours} h`;
}

/** The value a `datetime-local` input shows for an ISO instant, in the browser's zone. */
export function toLocalInput(iso) {
  const date = parse(iso);
  if (!date) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The ISO 8601 UTC instant of a `datetime-local` value (read in the browser's zone), or null. */
export function fromLocalInput(value) {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Splits a text into paragraphs, keeping line breaks (CSS `white-space: pre-line`). */
export function prose(text, className = 'prose') {
  return h('div', { class: className }, text);
}

const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]';

/**
 * Redraws `container` with `draw()` without losing the keyboard focus: if the focus was inside,
 * it goes back to the same control of the same item (items carry `data-key`).
 */
export function redrawKeepingFocus(container, draw) {
  const active = document.activeElement;
  let memory = null;
  if (active && container.contains(active) && active !== container) {
    const item = active.closest('[data-key]');
    const scope = item || container;
    memory = { key: item ? item.dataset.key : null, index: [...scope.querySelectorAll(FOCUSABLE)].indexOf(active) };
  }
  draw();
  if (!memory) return;
  const scope = memory.key === null ? container : container.querySelector(`[data-key="${CSS.escape(memory.key)}"]`);
  const target = scope && scope.querySelectorAll(FOCUSABLE)[memory.index];
  if (target) target.focus({ preventScroll: true });
}
