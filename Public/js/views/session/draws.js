// Card draws: the « Tirer une carte » panel (a test: mode, a characteristic and a skill or capacity
// from the character's sheet or typed in, a difficulty preset or number), its result as cards with
// the triggered effect, the deck drawn from with its pot as three cards, and the recent draws.

import { api, ApiError, displayName } from '../../api.js';
import { h, replace, uid, formatTime, formatDateTime } from '../../dom.js';
import { formError, notice, onSubmit, panel, reasonOf, runAction, toast } from '../../ui.js';
import { empty } from '../common.js';

const MODES = [
  { value: 'classic', label: 'Classique', hint: 'une carte' },
  { value: 'advantage', label: 'Avantage', hint: 'deux cartes, la meilleure est gardée' },
  { value: 'disadvantage', label: 'Désavantage', hint: 'deux cartes, la moins bonne est gardée' },
];
const MODE_LABELS = { classic: 'classique', advantage: 'avantage', disadvantage: 'désavantage' };
const RECENT = 10;
const PRESETS = [
  { value: 'facile', label: 'Facile (5)' },
  { value: 'normal', label: 'Normal (10)' },
  { value: 'difficile', label: 'Difficile (12)' },
  { value: 'tres_difficile', label: 'Très difficile (15)' },
  { value: 'quasi_impossible', label: 'Quasi impossible (20)' },
];
const FIGURE_NAMES = { J: 'le Valet', Q: 'la Dame', K: 'le Roi' };

const SUITS = {
  spades: { symbol: '♠', label: 'pique', red: false },
  hearts: { symbol: '♥', label: 'cœur', red: true },
  diamonds: { symbol: '♦', label: 'carreau', red: true },
  clubs: { symbol: '♣', label: 'trèfle', red: false },
};
const SUIT_ALIASES = {
  '♠': 'spades', pique: 'spades', spade: 'spades',
  '♥': 'hearts', cœur: 'hearts', coeur: 'hearts', heart: 'hearts',
  '♦': 'diamonds', carreau: 'diamonds', diamond: 'diamonds',
  '♣': 'clubs', trèfle: 'clubs', trefle: 'clubs', club: 'clubs',
};
// French faces: Valet, Dame, Roi.
const RANK_FACES = { J: 'V', Q: 'D', K: 'R', A: 'A' };

function suitOf(card) {
  const raw = String(card.suit || '').toLowerCase();
  const key = SUITS[raw] ? raw : SUIT_ALIASES[raw];
  return key ? SUITS[key] : null;
}

/** One playing card: rank and suit symbol, red for hearts and diamonds, crossed out if not kept. */
export function cardFace(card, { small = false } = {}) {
  // The joker has neither rank nor suit (some answers may spell its rank « joker »).
  const joker = String(card.rank || '').toLowerCase() === 'joker'
    || (!card.rank && !card.suit && (card.origin === 'item' || /joker/i.test(card.label || '')));
  const suit = suitOf(card);
  const rank = joker ? '★' : (RANK_FACES[card.rank] || card.rank || '?');
  const kept = card.kept !== false;
  const name = card.label || (joker ? 'Joker' : `${card.rank} de ${suit ? suit.label : '?'}`);
  return h('span', {
    class: ['pcard', small && 'pcard--small', suit && suit.red && 'pcard--red', joker && 'pcard--joker', !kept && 'is-set-aside'],
    role: 'img',
    'aria-label': `${name}${card.value != null ? `, valeur ${card.value}` : ''}${kept ? '' : ', écartée'}`,
    title: `${name}${card.value != null ? ` (${card.value})` : ''}${kept ? '' : ' — écartée'}`,
    'data-testid': 'card', dataset: { kept: String(kept) },
  },
  h('span', { class: 'pcard__rank' }, rank),
  h('span', { class: 'pcard__suit' }, joker ? 'Joker' : (suit ? suit.symbol : '')));
}

function outcomeBadge(draw) {
  if (!draw.outcome) return null;
  const label = draw.outcome_label || (draw.outcome === 'success' ? 'RÉUSSITE' : 'ÉCHEC');
  return h('span', { class: `badge badge--${draw.outcome}`, 'data-testid': 'draw-outcome', dataset: { outcome: draw.outcome } }, label);
}

/** « 7 + Agilité 3 + Épée 1 = 11 » from a draw, as a readable line. */
function arithmetic(draw) {
  const terms = [String(draw.card_value)];
  const term = (name, value) => (value < 0 ? `− ${name} ${-value}` : `+ ${name} ${value}`);
  if (draw.characteristic) terms.push(term(draw.characteristic.name, draw.characteristic.value));
  for (const bonus of draw.bonuses || []) terms.push(term(bonus.name, bonus.value));
  return `${terms.join(' ')} = ${draw.total}`;
}

function drawer(draw) {
  const person = displayName(draw);
  if (draw.character_name) return person ? `${draw.character_name} (${person})` : draw.character_name;
  return person || 'Quelqu’un';
}

/** The full result of a draw, as shown right after it. */
function resultView(draw) {
  return h('div', { class: 'draw-result', 'data-testid': 'draw-result-card', dataset: { id: String(draw.id) } },
    h('div', { class: 'draw-result__cards' }, (draw.cards || []).map((card) => cardFace(card))),
    h('div', { class: 'draw-result__body' },
      h('p', { class: 'draw-result__total' },
        h('span', {}, 'Total : '), h('strong', { 'data-testid': 'draw-total' }, String(draw.total)), ' ', outcomeBadge(draw)),
      h('p', { class: 'draw-result__math' }, arithmetic(draw),
        draw.difficulty != null ? ` (difficulté ${draw.difficulty})` : ''),
      h('p', { class: 'muted draw-result__mode' }, `Mode ${MODE_LABELS[draw.mode] || draw.mode}`,
        draw.visibility === 'mj' ? ' · visible du MJ seulement' : ' · visible de toute la table',
        draw.reason ? ` · ${draw.reason}` : ''),
      draw.effect && h('p', { class: 'draw-result__effect', 'data-testid': 'draw-effect' },
        h('strong', {}, 'Effet déclenché : '), draw.effect.description),
      draw.reshuffled && h('p', { class: 'muted' }, 'La pioche était épuisée : la défausse a été remélangée.')));
}

/** A line of the recent draws. */
function drawItem(draw, me) {
  return h('li', { class: 'draw-item', 'data-testid': 'draw-item', dataset: { id: String(draw.id), visibility: draw.visibility || 'public' } },
    h('div', { class: 'draw-item__head' },
      h('span', { class: 'draw-item__who' }, drawer(draw), draw.user_id === me.id ? ' (vous)' : ''),
      draw.created_at && h('time', { class: 'muted draw-item__time', datetime: draw.created_at, title: formatDateTime(draw.created_at) }, formatTime(draw.created_at))),
    h('div', { class: 'draw-item__row' },
      h('span', { class: 'draw-item__cards' }, (draw.cards || []).map((card) => cardFace(card, { small: true }))),
      h('span', { class: 'draw-item__total' }, `= ${draw.total}`),
      outcomeBadge(draw),
      draw.visibility === 'mj' && h('span', { class: 'badge badge--secret' }, 'MJ seulement')),
    (draw.reason || draw.characteristic) && h('p', { class: 'draw-item__detail muted' },
      [draw.characteristic && `${draw.characteristic.name} ${draw.characteristic.value}`,
        draw.difficulty != null && `difficulté ${draw.difficulty}`,
        draw.reason].filter(Boolean).join(' · ')));
}

function numberOrNull(value) {
  const text = String(value || '').trim();
  if (!text) return null;
  const number = Number(text);
  return Number.isInteger(number) ? number : NaN;
}

/** A check made here before sending, shown like the server's own refusals. */
const fieldError = (reason, field) => new ApiError(400, reason, field);

/** Newest first; draws of the same second keep the order they came in (the server's, or live). */
const byNewest = (a, b) => (b.created_at || '').localeCompare(a.created_at || '');

/**
 * The draw panel and the recent draws panel of a session page.
 * @param {{sessionId: string, me: {id: number}, isMJ: boolean}} options
 */
export function drawPanels({ sessionId, me, isMJ }) {
  const base = `/api/sessions/${encodeURIComponent(sessionId)}`;
  let session = null;
  let seat = null;
  let sheet = null; // the seated character's sheet, once read
  let lastKey = '';
  const recent = new Map(); // id → draw
  let order = []; // ids, newest first as far as we know
  let recentLoaded = false;
  let recentBlocked = null;
  let recentSyncing = null;

  // --- The form.
  const box = h('div', { 'data-testid': 'draw' });
  const resultBox = h('div', { class: 'draw-result-box', 'data-testid': 'draw-result', role: 'status', 'aria-live': 'polite' });
  const deckBox = h('div', { class: 'deck', 'data-testid': 'deck-status' });
  const formArea = h('div', {});
  const element = panel('Tirer une carte', { id: 'draw-panel', class: 'draw-panel' }, box, formArea, resultBox, deckBox);

  const sheetArea = h('div', { class: 'draw-form__sheet' });
  const form = buildForm();
  onSubmit(form, async () => {
    const body = readForm();
    const draw = await api(`${base}/draws`, { method: 'POST', body });
    replace(resultBox, resultView(draw));
    addRecent([draw], { fresh: true });
    loadDeck();
  });

  function buildForm() {
    const modeName = uid('mode');
    const visibilityName = uid('visibility');
    const radio = (name, value, label, hint, checked, testid) => {
      const id = uid(name);
      return h('div', { class: 'choice' },
        h('input', { type: 'radio', id, name, value, checked, 'data-testid': testid }),
        h('label', { for: id }, label, hint && h('span', { class: 'choice__hint' }, ` (${hint})`)));
    };
    const pair = (legendText, prefix, { namePlaceholder, testid }) => {
      const nameId = uid(`${prefix}-name`);
      const valueId = uid(`${prefix}-value`);
      return h('fieldset', { class: 'pair' },
        h('legend', {}, legendText),
        h('div', { class: 'pair__fields' },
          h('div', { class: 'field' },
            h('label', { for: nameId }, 'Nom'),
            h('input', { type: 'text', id: nameId, name: `${prefix}_name`, maxlength: 40, placeholder: namePlaceholder, 'data-testid': testid && `${testid}-name` })),
          h('div', { class: 'field field--num' },
            h('label', { for: valueId }, 'Valeur'),
            h('input', { type: 'number', id: valueId, name: `${prefix}_value`, step: 1, min: -50, max: 50, inputmode: 'numeric', 'data-testid': testid && `${testid}-value` }))));
    };
    const difficultyId = uid('difficulty');
    const presetId = uid('preset');
    const reasonId = uid('reason');
    return h('form', { class: 'form draw-form', 'data-testid': 'draw-form' },
      h('fieldset', { class: 'choices' },
        h('legend', {}, 'Mode'),
        MODES.map((m, index) => radio(modeName, m.value, m.label, m.hint, index === 0, `draw-mode-${m.value}`))),
      sheetArea,
      h('div', { class: 'draw-form__grid' },
        pair('Caractéristique saisie (fiche sur papier)', 'characteristic', { namePlaceholder: 'Agilité', testid: 'draw-characteristic' })),
      h('div', { class: 'draw-form__grid' },
        h('div', { class: 'field' },
          h('label', { for: presetId }, 'Difficulté'),
          h('select', { id: presetId, name: 'difficulty_preset', 'data-testid': 'draw-difficulty-preset' },
            h('option', { value: '' }, 'Aucune (ou une difficulté libre)'),
            PRESETS.map((p) => h('option', { value: p.value }, p.label)))),
        h('div', { class: 'field field--num' },
          h('label', { for: difficultyId }, 'Difficulté libre'),
          h('input', { type: 'number', id: difficultyId, name: 'difficulty', step: 1, min: -100, max: 100, inputmode: 'numeric', 'data-testid': 'draw-difficulty' }))),
      h('details', { class: 'subtle draw-form__bonuses' },
        h('summary', {}, 'Bonus (deux au plus)'),
        h('div', { class: 'draw-form__grid' },
          pair('Bonus 1', 'bonus1', { namePlaceholder: 'Épée' }),
          pair('Bonus 2', 'bonus2', { namePlaceholder: 'Fatigue (valeur négative : malus)' }))),
      h('div', { class: 'field' },
        h('label', { for: reasonId }, 'Raison (facultative)'),
        h('input', { type: 'text', id: reasonId, name: 'reason', maxlength: 200, placeholder: 'Sauter par-dessus le fossé', 'data-testid': 'draw-reason' })),
      h('fieldset', { class: 'choices choices--inline' },
        h('legend', {}, 'Visibilité'),
        radio(visibilityName, 'public', 'Publique', null, true, 'draw-visibility-public'),
        radio(visibilityName, 'mj', 'MJ seulement', null, false, 'draw-visibility-mj')),
      formError(),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'btn btn--primary', 'data-testid': 'draw-submit' }, 'Tirer une carte')));
  }

  function readForm() {
    const value = (name) => form.querySelector(`[name="${name}"]`).value;
    const checked = (selector) => form.querySelector(`${selector}:checked`).value;
    const body = {
      mode: checked('.choices:not(.choices--inline) input[type=radio]'),
      visibility: checked('.choices--inline input[type=radio]'),
    };
    if (seat && seat.character_id) body.character_id = seat.character_id;

    const named = (prefix, label) => {
      const name = value(`${prefix}_name`).trim();
      const number = numberOrNull(value(`${prefix}_value`));
      if (!name && number === null) return null;
      // A bonus to correct must be visible to be focused.
      if (prefix.startsWith('bonus')) form.querySelector('.draw-form__bonuses').open = true;
      if (Number.isNaN(number)) throw fieldError(`${label} : la valeur doit être un nombre entier.`, `${prefix}_value`);
      if (!name) throw fieldError(`${label} : donnez-lui un nom.`, `${prefix}_name`);
      if (number === null) throw fieldError(`${label} : donnez-lui une valeur.`, `${prefix}_value`);
      return { name, value: number };
    };
    const fromSheet = sheetChoice();
    if (fromSheet) body.sheet = fromSheet;
    const characteristic = named('characteristic', 'Caractéristique');
    if (fromSheet && characteristic) {
      throw fieldError('Choisissez la caractéristique dans la fiche ou saisissez-la, pas les deux.', 'characteristic_name');
    }
    if (characteristic) body.characteristic = characteristic;
    const bonuses = [named('bonus1', 'Bonus 1'), named('bonus2', 'Bonus 2')].filter(Boolean);
    if (bonuses.length && fromSheet) throw fieldError('Les bonus saisis ne vont pas avec un test tiré de la fiche.', 'bonus1_name');
    if (bonuses.length) body.bonuses = bonuses;
    const difficulty = numberOrNull(value('difficulty'));
    if (Number.isNaN(difficulty)) throw fieldError('La difficulté doit être un nombre entier.', 'difficulty');
    const preset = value('difficulty_preset');
    if (preset && difficulty !== null) throw fieldError('Une difficulté nommée ou un nombre, pas les deux.', 'difficulty');
    if (preset) body.difficulty_preset = preset;
    if (difficulty !== null) body.difficulty = difficulty;
    const reason = value('reason').trim();
    if (reason) body.reason = reason;
    return body;
  }

  /** `{characteristic, skill | capacity}` picked from the sheet, or null. */
  function sheetChoice() {
    const picked = (name) => { const field = form.querySelector(`[name="${name}"]`); return field ? field.value : ''; };
    const characteristic = picked('sheet_characteristic');
    const ability = picked('sheet_ability');
    if (!characteristic && !ability) return null;
    const choice = {};
    if (characteristic) choice.characteristic = characteristic;
    if (ability) {
      const [kind, ...name] = ability.split(':');
      choice[kind] = name.join(':');
    }
    return choice;
  }

  /** The pickers of the seated character's sheet: its characteristics, skills and capacities. */
  function showSheet() {
    if (!sheet) { sheetArea.replaceChildren(); return; }
    const characteristicId = uid('sheet-characteristic');
    const abilityId = uid('sheet-ability');
    const levelled = (items, kind, label) => (items || []).length > 0 && h('optgroup', { label },
      items.map((item) => h('option', { value: `${kind}:${item.name}` }, `${item.name} ${item.level}`)));
    replace(sheetArea, h('div', { class: 'draw-form__grid' },
      h('div', { class: 'field' },
        h('label', { for: characteristicId }, 'Caractéristique de la fiche'),
        h('select', { id: characteristicId, name: 'sheet_characteristic', 'data-testid': 'draw-sheet-characteristic' },
          h('option', { value: '' }, 'Aucune'),
          (sheet.characteristics || []).map((c) => h('option', { value: c.name }, `${c.name} ${c.value}`)))),
      h('div', { class: 'field' },
        h('label', { for: abilityId }, 'Compétence ou capacité'),
        h('select', { id: abilityId, name: 'sheet_ability', 'data-testid': 'draw-sheet-ability' },
          h('option', { value: '' }, 'Aucune'),
          levelled(sheet.skills, 'skill', 'Compétences'),
          levelled(sheet.capacities, 'capacity', 'Capacités')))));
  }

  function loadSheet() {
    sheet = null;
    showSheet();
    if (!seat || !seat.character_id) return;
    api(`/api/characters/${encodeURIComponent(seat.character_id)}`)
      .then((character) => { sheet = character.sheet || null; showSheet(); })
      .catch(() => {}); // the typed-in fields stay
  }

  /** Who may draw now, and why not otherwise. */
  function refusal() {
    if (!session) return 'Chargement…';
    if (session.status === 'scheduled') return 'Les tirages seront possibles quand la session aura commencé.';
    if (session.status === 'paused') return 'La session est en pause : les tirages reprendront avec elle.';
    if (session.status !== 'active') return 'La session est terminée : plus de tirage possible.';
    if (isMJ) return null;
    // After a refused seat (full, late joining closed) « Rejoignez » would contradict the refusal.
    if (!seat) {
      return session.can_join
        ? 'Rejoignez la session avec un personnage pour tirer des cartes.'
        : 'Seules les personnes à la table tirent des cartes.';
    }
    if (!seat.character_id) return 'Il vous faut un personnage à la table pour tirer des cartes.';
    return null;
  }

  function deckPath() {
    if (seat && seat.character_id) return `${base}/decks/${encodeURIComponent(seat.character_id)}`;
    return isMJ ? `${base}/decks/mj` : null;
  }

  function drawForm() {
    const why = refusal();
    const key = JSON.stringify([why, seat && seat.character_id]);
    if (key === lastKey) return;
    lastKey = key;
    element.hidden = Boolean(session && (session.status === 'completed' || session.status === 'cancelled'));
    if (why) {
      replace(box, h('p', { class: 'muted', 'data-testid': 'draw-unavailable' }, why));
      formArea.replaceChildren();
      deckBox.replaceChildren();
      return;
    }
    const whose = seat && seat.character_id
      ? `Vous tirez pour ${seat.character_name || 'votre personnage'}, dans son paquet.`
      : 'Vous tirez dans votre paquet de MJ.';
    replace(box, h('p', { class: 'muted' }, whose));
    replace(formArea, form);
    loadSheet();
    loadDeck();
  }

  // --- The deck.
  let deckLoading = null;
  function loadDeck() {
    const path = deckPath();
    if (!path || refusal()) return Promise.resolve();
    if (deckLoading) return deckLoading;
    deckLoading = api(path)
      .then((deck) => showDeck(deck))
      .catch((error) => replace(deckBox, notice(reasonOf(error), 'warning')))
      .finally(() => { deckLoading = null; });
    return deckLoading;
  }

  /** The deck: how many cards a draw chooses from, and the pot as three cards to add one by one. */
  function showDeck(deck) {
    const errorBox = h('div');
    const characterPath = seat && seat.character_id ? `/api/characters/${encodeURIComponent(seat.character_id)}` : null;
    const potAction = (path, body, message) => async () => {
      await api(`${characterPath}${path}`, { method: 'POST', ...(body ? { body } : {}) });
      toast(message);
      await loadDeck();
    };
    const figure = (entry) => {
      const card = { rank: entry.rank, suit: deck.figure, label: `${entry.label} de ${(suitOf({ suit: deck.figure }) || {}).label || ''}` };
      if (entry.place === 'spent') {
        return h('div', { class: 'pot__figure', 'data-testid': `pot-${entry.rank}`, dataset: { place: entry.place } },
          cardFace({ ...card, kept: true }, { small: true }), h('span', { class: 'muted' }, 'dépensée'));
      }
      if (entry.place === 'deck') {
        return h('div', { class: 'pot__figure', 'data-testid': `pot-${entry.rank}`, dataset: { place: entry.place } },
          h('span', { class: 'pcard pcard--small pcard--back', role: 'img', 'aria-label': `${entry.label}, dans le paquet` }),
          h('span', { class: 'muted' }, 'dans le paquet'));
      }
      const button = h('button', {
        type: 'button', class: 'btn btn--small', 'data-testid': `pot-add-${entry.rank}`,
        onClick: () => runAction(button, errorBox, potAction('/pot', { figure: entry.rank }, `${FIGURE_NAMES[entry.rank]} rejoint le paquet.`)),
      }, `Ajouter ${FIGURE_NAMES[entry.rank]}`);
      return h('div', { class: 'pot__figure', 'data-testid': `pot-${entry.rank}`, dataset: { place: entry.place } }, button);
    };
    const reset = h('button', {
      type: 'button', class: 'btn btn--small', 'data-testid': 'pot-reset',
      onClick: () => runAction(reset, errorBox, potAction('/pot/reset', null, 'Le pot est remis à zéro.')),
    }, 'Remettre le pot à zéro');
    const pot = characterPath && Array.isArray(deck.pot) ? deck.pot : [];
    replace(deckBox,
      h('h3', { class: 'deck__title' }, 'Paquet'),
      h('p', { class: 'deck__facts' },
        h('span', { 'data-testid': 'deck-remaining' }, `${deck.remaining} carte${deck.remaining > 1 ? 's' : ''} dans le paquet`),
        ' (tirées avec remise)', deck.has_joker ? ' · joker de l’objet spécial' : ''),
      pot.length > 0 && h('div', { class: 'pot', 'data-testid': 'pot' },
        h('p', { class: 'muted' }, 'Le pot :'),
        h('div', { class: 'pot__figures' }, pot.map(figure)),
        h('div', { class: 'actions' }, reset)),
      errorBox);
  }

  // --- Recent draws.
  const recentBox = h('div', { 'data-testid': 'draws' });
  const recentElement = panel('Tirages récents', { id: 'draws-panel' }, recentBox);

  function drawRecent() {
    if (recentBlocked) { replace(recentBox, h('p', { class: 'muted' }, recentBlocked)); return; }
    if (!recentLoaded) { replace(recentBox, h('p', { class: 'loading' }, 'Chargement…')); return; }
    const items = order.map((id) => recent.get(id)).sort(byNewest).slice(0, RECENT * 2);
    if (!items.length) { replace(recentBox, empty('Aucun tirage pour l’instant.')); return; }
    replace(recentBox, h('ol', { class: 'draw-list', 'data-testid': 'draws-list' }, items.map((d) => drawItem(d, me))));
  }

  /** `fresh`: just made (live or by me), so newer than anything known; otherwise a page, newest first. */
  function addRecent(draws, { fresh = false } = {}) {
    const added = [];
    for (const draw of draws || []) {
      if (!draw || draw.id == null) continue;
      if (!recent.has(draw.id)) added.push(draw.id);
      recent.set(draw.id, draw);
    }
    order = fresh ? [...added.reverse(), ...order] : [...order, ...added];
    recentLoaded = true;
    drawRecent();
  }

  function syncRecent() {
    if (recentSyncing) return recentSyncing;
    recentSyncing = api(`${base}/draws?page=1&per=${RECENT}`)
      .then((data) => { recentBlocked = null; addRecent(data.items); })
      .catch((error) => {
        if (error.status === 403 || error.status === 409) { recentBlocked = reasonOf(error); drawRecent(); return; }
        if (!recentLoaded) replace(recentBox, notice(reasonOf(error), 'warning'));
      })
      .finally(() => { recentSyncing = null; });
    return recentSyncing;
  }

  drawRecent();

  return {
    element,
    recentElement,
    /** The session or the caller's seat changed. */
    update(nextSession, nextSeat) {
      session = nextSession;
      seat = nextSeat;
      drawForm();
    },
    /** A draw someone made, from the live channel. */
    receive(draw) {
      if (!draw) return;
      addRecent([draw], { fresh: true });
      if (draw.user_id === me.id) loadDeck();
    },
    sync: syncRecent,
  };
}
