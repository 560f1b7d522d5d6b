// Compiled, never run (tsc --noEmit, in offline.test.js when tsc is installed): the declarations
// type what the app writes, and refuse what the server would refuse by its document.
import { EtrangeClient, EtrangeError, invitationCode, type LiveEvent, type SessionResponse } from '../etrange.js';

export async function evening(api: EtrangeClient): Promise<SessionResponse> {
  const auth = await api.login({ username: 'armand', password: 'secret-pass' });
  const name: string = auth.user.username;
  const partie = await api.joinPartie({ invite_code: invitationCode('https://x/invitation/ABC') });
  const page = await api.listSessions({ partie_id: partie.id, status: 'active' });
  const session = page.items[0];
  await api.joinSession(session.id, { character_id: null });
  await api.drawCards(session.id, { visibility: 'public', mode: 'advantage' });
  await api.postSessionMessage(session.id, { body: name });
  const live = api.live(session.id, { onEvent: (event: LiveEvent) => event.seq });
  live.close();
  try {
    return await api.endSession(session.id, { summary: 'Fin.' });
  } catch (error) {
    if (error instanceof EtrangeError) throw new Error(error.reason);
    throw error;
  }
}

export async function refused(api: EtrangeClient): Promise<void> {
  // @ts-expect-error a state move is an action, not a field of the update
  await api.updateSession('id', { status: 'active' });
  // @ts-expect-error listSessions needs its partie
  await api.listSessions({ status: 'active' });
  // @ts-expect-error no such status
  await api.listSessions({ partie_id: 1, status: 'running' });
  // @ts-expect-error the body of a login has a username
  await api.login({ email: 'a@b.c', password: 'x' });
  // @ts-expect-error a partie's id is a number
  await api.getPartie('1');
}
