// The caller's seat: joining the session with a character (or creating one first), leaving it,
// and, while the channel polls, seating the MJ of a running session as the socket would.

import { api } from '../../api.js';
import { h, replace, field, redrawKeepingFocus } from '../../dom.js';
import { formError, notice, onSubmit, panel, playersCount, runAction, toast } from '../../ui.js';
import { characterForm } from '../characters.js';
import { characterName, isFinal, isRunning, mySeat } from './state.js';

/**
 * A player's « À la table » panel or the MJ's « Ma place ».
 * @param {{sessionId: string, state: object, me: {id: number}, isMJ: boolean, channel: object,
 *   liveMode: () => {mode: string}, seatChanged: () => void}} options
 *   `seatChanged` redraws what depends on the seat, after this panel redrew itself.
 */
export function seatPanel({ sessionId, state, me, isMJ, channel, liveMode, seatChanged }) {
  const box = h('div', { 'data-testid': 'join' });
  const element = isMJ ? panel('Ma place', { id: 'join-panel' }, box) : panel('À la table', { id: 'join-panel' }, box);
  let lastKey = '';
  let seatTried = false; // the MJ seated by this page once; after they leave, not again

  function draw({ force = false } = {}) {
    const s = state.session;
    const seat = mySeat(state, me);
    const key = JSON.stringify([s.status, s.can_join, s.seated_players >= s.max_players, s.allow_late_join,
      seat && [seat.character_id, seat.character_name, seat.role], state.characters.map((c) => c.id),
      Boolean(state.partie && state.partie.members_may_observe)]);
    if (key === lastKey && !force) return;
    lastKey = key;
    // Players: nothing to join in a finished session. The MJ takes their place once it is played.
    element.hidden = isMJ ? !isRunning(s) : isFinal(s) && !seat;
    redrawKeepingFocus(box, () => replace(box, content(s, seat)));
  }

  /** What join or leave answered: my seat, shown at once, before the next refresh confirms it. */
  function seated(answer) {
    state.ownSeat = answer;
    draw();
    seatChanged();
  }

  function content(s, seat) {
    if (seat) {
      const leaveError = h('div');
      const leave = h('button', {
        type: 'button', class: 'btn', 'data-testid': 'leave-button',
        onClick: () => runAction(leave, leaveError, async () => {
          const left = await api(`/api/sessions/${sessionId}/leave`, { method: 'POST', body: {} });
          if (state.participants) state.participants = state.participants.map((p) => (p.user_id === me.id ? { ...p, ...left } : p));
          seatTried = true;
          toast('Vous avez quitté la session.');
          seated(left);
        }),
      }, 'Quitter la session');
      const name = seat.character_name || characterName(state, seat.character_id);
      return [
        notice(isMJ && seat.role === 'master' ? 'Vous êtes à la table en tant que MJ.'
          : seat.role === 'observer' ? 'Vous observez la session : vous voyez la table, le chat et les tirages publics, sans tirer de cartes.'
            : name ? `Vous êtes à la table avec ${name}.` : 'Vous êtes à la table.', 'success'),
        // Over the live channel the server seats the MJ as long as their page is open: leaving
        // would not last, so the MJ is not offered it.
        !isFinal(s) && !(isMJ && liveMode().mode !== 'polling') && h('div', { class: 'actions' }, leave),
        leaveError,
      ];
    }
    if (isFinal(s)) {
      return h('p', { class: 'muted' }, s.status === 'completed' ? 'Cette session est terminée.' : 'Cette session a été annulée.');
    }
    if (!s.can_join) {
      // An observer takes no seat: a full table, or one closed to late arrivals, still lets them in.
      if (s.seated_players >= s.max_players) {
        return [notice(`La session est complète (${playersCount(s.max_players)} au maximum).`, 'warning'), waitlistBox(),
          observeActions()];
      }
      if (isRunning(s) && !s.allow_late_join) {
        return [notice('La session a commencé et n’accepte pas les arrivées tardives.', 'warning'), observeActions()];
      }
      return notice('Vous ne pouvez pas rejoindre cette session pour l’instant.', 'warning');
    }

    const hint = s.status === 'scheduled'
      ? 'La session n’a pas commencé : réservez votre place dès maintenant.'
      : 'La session est en cours : choisissez votre personnage et rejoignez la table.';
    const form = h('form', { class: 'form', 'data-testid': 'join-form' });
    const characters = state.characters;
    if (characters.length) {
      form.append(field({
        label: 'Personnage', name: 'character_id', type: 'select', required: !isMJ, 'data-testid': 'join-character',
        options: [
          ...(isMJ ? [{ value: '', label: 'Sans personnage (MJ)' }] : []),
          ...characters.map((c) => ({ value: c.id, label: c.name })),
        ],
      }));
    } else if (!isMJ) {
      form.append(h('p', { class: 'muted' }, 'Vous n’avez pas encore de personnage dans cette partie : créez-en un pour jouer.'));
    }
    form.append(formError(), h('div', { class: 'actions' },
      h('button', {
        type: 'submit', class: 'btn btn--primary', 'data-testid': 'join-button',
        disabled: !isMJ && !characters.length,
      }, isMJ ? 'Prendre place comme MJ' : 'Rejoindre')));
    onSubmit(form, async () => {
      const characterId = form.elements.character_id ? form.elements.character_id.value : '';
      let joined;
      try {
        joined = await api(`/api/sessions/${sessionId}/join`, { method: 'POST', body: characterId ? { character_id: characterId } : {} });
      } catch (error) {
        // Refused (full, started without late arrivals): the counts and the hints of the page
        // were out of date; read the session again so that they tell the same as the refusal.
        if (error.status === 409 || error.status === 403) {
          channel.refresh().then(() => {
            // Redrawn with the refusal in place of the form: the keyboard goes to it.
            const said = !form.isConnected && box.querySelector('.notice');
            if (said) { said.tabIndex = -1; said.focus(); }
          });
        }
        throw error;
      }
      toast('Vous avez rejoint la session.');
      join(joined);
      // The form is gone: the keyboard goes to what replaced it, which says where I sit.
      const said = box.querySelector('.notice');
      if (said) { said.tabIndex = -1; said.focus(); }
    });
    return [
      h('p', {}, hint),
      form,
      observeActions(),
      !isMJ && h('details', { class: 'subtle', open: characters.length ? undefined : true },
        h('summary', {}, 'Créer un personnage'),
        characterForm(state.partie.id, async (character) => {
          state.characters = [...state.characters, character];
          draw({ force: true });
          const select = box.querySelector('select[name=character_id]');
          if (select) { select.value = character.id; select.focus(); }
        })),
    ];
  }

  // The waiting list of a full session: its order, my place, « Rejoindre la liste d'attente ».
  // Reading it again every 20 s keeps a waiter seen, which the server asks before seating them.
  const waitBox = h('div', { 'data-testid': 'waitlist' });
  let waitTimer = null;

  function waitlistBox() {
    if (isMJ) return null;
    if (!waitTimer) waitTimer = setInterval(readWaitlist, 20000);
    setTimeout(readWaitlist, 0);
    return waitBox;
  }

  async function readWaitlist() {
    if (!element.isConnected) { clearInterval(waitTimer); waitTimer = null; return; }
    try {
      drawWaitlist(await api(`/api/sessions/${sessionId}/waitlist`));
    } catch {
      // The next reading says it again.
    }
  }

  function drawWaitlist(list) {
    const error = h('div');
    const order = list.entries.length
      ? h('ol', { class: 'waitlist', 'data-testid': 'waitlist-order' }, list.entries.map((e) => h('li', {}, e.display_name || e.username)))
      : h('p', { class: 'muted' }, 'Personne n’attend encore.');
    if (list.my_position) {
      const leave = h('button', {
        type: 'button', class: 'btn', 'data-testid': 'waitlist-leave',
        onClick: () => runAction(leave, error, async () => {
          await api(`/api/sessions/${sessionId}/waitlist`, { method: 'DELETE' });
          toast('Vous avez quitté la liste d’attente.');
          await readWaitlist();
        }),
      }, 'Quitter la liste d’attente');
      const place = list.my_position === 1 ? '1ʳᵉ' : `${list.my_position}ᵉ`;
      replace(waitBox, notice(`Vous êtes ${place} sur la liste d’attente : une place libérée vous revient si cette page est ouverte, sinon elle vous est réservée cinq minutes : « Rejoindre » la prend.`, 'info'),
        order, h('div', { class: 'actions' }, leave), error);
      return;
    }
    const characters = state.characters;
    const join = h('button', {
      type: 'button', class: 'btn btn--primary', 'data-testid': 'waitlist-join', disabled: !characters.length,
      onClick: () => runAction(join, error, async () => {
        const characterId = waitBox.querySelector('select[name=character_id]').value;
        drawWaitlist(await api(`/api/sessions/${sessionId}/waitlist`, { method: 'POST', body: { character_id: characterId } }));
        toast('Vous êtes sur la liste d’attente.');
      }),
    }, 'Rejoindre la liste d’attente');
    replace(waitBox, h('h3', {}, 'Liste d’attente'), order,
      characters.length
        ? field({ label: 'Personnage', name: 'character_id', type: 'select', options: characters.map((c) => ({ value: c.id, label: c.name })) })
        : h('p', { class: 'muted' }, 'Créez un personnage pour attendre une place.'),
      h('div', { class: 'actions' }, join), error);
  }

  /** « Observer », when the partie lets its members sit in by themselves (never the MJ's). */
  function observeActions() {
    if (isMJ || !state.partie || !state.partie.members_may_observe) return null;
    const error = h('div');
    const button = h('button', {
      type: 'button', class: 'btn', 'data-testid': 'observe-button',
      onClick: () => runAction(button, error, async () => {
        join(await api(`/api/sessions/${sessionId}/join`, { method: 'POST', body: { role: 'observer' } }));
        toast('Vous observez la session.');
      }),
    }, 'Observer');
    return [h('p', { class: 'muted' }, 'Ou regardez sans prendre de place : vous ne tirerez pas de cartes.'),
      h('div', { class: 'actions' }, button), error];
  }

  function join(joined) {
    if (state.participants) {
      state.participants = [...state.participants.filter((p) => p.user_id !== me.id), { is_active: true, ...joined }];
    }
    seated(joined);
  }

  /**
   * The MJ running the session is at the table: seated as master once, unless they left it. Over
   * the live channel the server does it when the socket opens; only while polling is it ours.
   */
  async function seatTheMJ() {
    if (!isMJ || seatTried || !isRunning(state.session) || mySeat(state, me)) return;
    if (liveMode().mode !== 'polling') return;
    if (!state.participants) return; // not known yet
    seatTried = true;
    try {
      join(await api(`/api/sessions/${sessionId}/join`, { method: 'POST', body: {} }));
    } catch {
      // The « Prendre place » button stays, and says why if pressed.
    }
  }

  return { element, draw, seatTheMJ };
}
