// The handouts shown to the caller, on the session page: loaded once, then each new one arrives
// on the live channel (`handout.shown`, sent only to those it was shown to) and comes first.

import { api } from '../../api.js';
import { h, replace } from '../../dom.js';
import { panel, reasonOf, toast } from '../../ui.js';
import { empty } from '../common.js';
import { handoutFigure } from '../handouts.js';

export function sessionHandouts(ctx, partieId) {
  const box = h('div', { class: 'handouts', 'data-testid': 'session-handouts' });
  let shown = [];
  const draw = () => replace(box, shown.length
    ? shown.map((handout) => handoutFigure(ctx, handout))
    : empty('Aucun document montré pour l’instant.'));
  api(`/api/parties/${partieId}/handouts`, { signal: ctx.signal })
    .then((list) => { shown = list.filter((handout) => handout.shown_at); draw(); })
    .catch((error) => { if (error.name !== 'AbortError') replace(box, h('p', { class: 'notice notice--error' }, reasonOf(error))); });
  return {
    element: panel('Documents', { id: 'session-handouts' }, box),
    receive(handout) {
      shown = [handout, ...shown.filter((item) => item.id !== handout.id)];
      draw();
      toast(`Nouveau document : ${handout.title}`);
    },
  };
}
