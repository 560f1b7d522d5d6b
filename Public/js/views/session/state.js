// What the session page's parts read from its shared state: whether the session is being played
// or over, the caller's seat, and the names of the characters met on the page.

export const isRunning = (s) => s.status === 'active' || s.status === 'paused';
export const isFinal = (s) => s.status === 'completed' || s.status === 'cancelled';

/** My place at the table: from the participants list, or from what join/leave answered. */
export function mySeat(state, me) {
  if (state.participants) {
    return state.participants.find((p) => p.user_id === me.id && p.is_active) || null;
  }
  return state.ownSeat && state.ownSeat.is_active !== false && !state.ownSeat.left_at ? state.ownSeat : null;
}

/** A character's name from what the page knows: my characters, the seats, the people connected. */
export function characterName(state, id) {
  if (!id) return '';
  const mine = state.characters.find((c) => c.id === id);
  if (mine) return mine.name;
  const seated = (state.participants || []).find((p) => p.character_id === id && p.character_name);
  if (seated) return seated.character_name;
  const present = (state.presence || []).find((p) => p.character_id === id && p.character_name);
  return present ? present.character_name : '';
}

/** id → name of every character the page knows of (the MJ's developments pick from them). */
export function knownCharacters(state) {
  const map = new Map();
  for (const c of state.characters) map.set(c.id, c.name);
  for (const p of state.participants || []) if (p.character_id) map.set(p.character_id, p.character_name || 'Personnage');
  for (const p of state.presence || []) if (p.character_id && !map.has(p.character_id)) map.set(p.character_id, p.character_name || 'Personnage');
  return map;
}
