// The live state of one session: the session itself, who is connected and who takes part, and
// what happens at the table (chat messages, card draws).
//
// The server pushes numbered events on a WebSocket, `GET /api/sessions/{id}/live?ticket=…&since=SEQ`,
// the ticket asked for just before (`POST …/live-ticket`, single use): a token in a URL would end
// up in proxies' logs.
// Opening it marks the caller online (and seats the MJ as master); closing their last one marks
// them offline. When the socket cannot be used (a member without a seat, a finished session, a
// browser without WebSockets, a network that blocks them), the channel falls back to polling the
// REST API with the presence heartbeat. Pages only listen to these events, whatever carries them:
//
//   'session'      (Session)            the session as the caller sees it
//   'presence'     ([Presence])         who is connected (`status`: online, idle or offline)
//   'presence-event' ({type, person})   a presence.* event as it happens (live only), before the
//                                      list is read again: the page may show it at once
//   'participants' ([Participant])      who took a seat
//   'chat'         (Message)            a chat line as it happens or changes (live only)
//   'draw'         (Draw)               a card draw, as it happens (live only)
//   'rsvp'         (RSVP event)         someone answered the session (live only)
//   'sync'         ()                   events may have been missed: reload what is not refetched
//                                      here (chat, draws); also after each poll in polling mode
//   'mode'         ({mode: 'connecting'|'live'|'polling', reason?})  what carries the channel
//   'connection'   ({state: 'ok'|'lost', retryIn?: seconds, reason?})
//   'gone'         (ApiError)           the session no longer exists or is no longer visible

import { api, ApiError } from './api.js';

const POLL_MS = 4000;
const FINISHED_POLL_MS = 15000;
const LIVE_SAFETY_POLL_MS = 60000; // durations and counts, while events keep the rest fresh
const HEARTBEAT_MS = 20000;
const MAX_BACKOFF_MS = 30000;
const PING_MS = 20000;
const SILENCE_MS = 50000; // no frame at all (not even our ping's pong): the socket is dead
const RETRY_SOCKET_MS = 60000; // from polling, when the socket failed for no known reason
const MAX_FRAME_BYTES = 4096;
const MAX_FRAMES_PER_SECOND = 5; // the server closes above 10
const ACTIVE_FRAME_MS = 30000; // `{"type":"active"}` at most this often over the socket
// What counts as the person doing something (the server turns them `idle` after a while without),
// listened to on the window while capturing. Scrolling counts through the gestures that scroll
// (wheel, touch, keys) and the page's own `scroll` event, not through the scroll events of inner
// lists: the chat scrolls its list by itself when a message arrives, with nobody there.
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'touchstart', 'wheel'];

class Emitter {
  constructor() { this.listeners = new Map(); }
  on(event, listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(listener);
    return () => this.listeners.get(event).delete(listener);
  }
  emit(event, payload) {
    for (const listener of this.listeners.get(event) || []) {
      try { listener(payload); } catch (error) { console.error(error); }
    }
  }
}

const backoff = (failures, base = 1000) => Math.min(base * 2 ** Math.max(0, failures - 1), MAX_BACKOFF_MS);

const isFinal = (s) => s && (s.status === 'completed' || s.status === 'cancelled');

export class SessionChannel extends Emitter {
  /**
   * @param {string} sessionId
   * @param {{awaitSeat?: boolean}} options `awaitSeat`: the caller needs a seat to be let in (a
   *   player, not the MJ); the socket is then opened once the page says they have one
   *   (`setSeated`), rather than tried and refused.
   */
  constructor(sessionId, { pollMs = POLL_MS, heartbeatMs = HEARTBEAT_MS, awaitSeat = false } = {}) {
    super();
    this.awaitSeat = awaitSeat;
    this.seated = null; // unknown until the page knows the participants
    this.session = null;
    this.sessionId = sessionId;
    this.base = `/api/sessions/${encodeURIComponent(sessionId)}`;
    this.pollMs = pollMs;
    this.heartbeatMs = heartbeatMs;
    this.running = false;
    this.mode = 'connecting';
    this.hasWebSocket = typeof WebSocket === 'function';

    // REST: the state itself, fetched at start, on events, and on a timer when polling.
    this.pollTimer = null;
    this.inFlight = null;
    this.again = false;
    this.pollLost = false;
    this.pollFailures = 0;

    // Presence by heartbeat, only while polling.
    this.wantsPresence = false;
    this.announced = false;
    this.heartbeatTimer = null;

    // The socket.
    this.socket = null;
    this.opening = false; // asking for a ticket, the socket not yet made
    this.lastSeq = null;
    this.socketFailures = 0;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.lastFrameAt = 0;
    this.closedReason = null;
    this.lagSince = null;
    this.sentAt = [];
    this.fallback = null; // why we poll: 'refused' | 'finished' | 'no-websocket' | 'blocked' | 'replaced'
    this.replacedReason = null;

    // Activity: whether the person did something since the last heartbeat (opening the page is
    // something), and when the socket last said so.
    this.activeSinceHeartbeat = true;
    this.activeSentAt = 0;
    this.onActivity = () => this.markActive();

    this.countdownTimer = null;
    this.onPageHide = () => {
      this.sendOffline();
    };
    this.onVisible = () => {
      if (document.visibilityState !== 'visible' || !this.running) return;
      this.markActive();
      if (this.mode === 'live' || this.socket) {
        this.refresh();
      } else if (this.mode === 'polling' && this.fallback === 'replaced') {
        // The tab someone looks at takes the live channel back from an older one.
        this.tryLive();
      } else if (this.mode === 'polling') {
        this.refresh();
        this.heartbeat();
      } else {
        this.retryNow();
      }
    };
    // The browser knows before a ping would: back online, try at once; offline, the socket is as
    // good as gone (it may take a minute of silence to close by itself).
    this.onOnline = () => this.retryNow();
    this.onOffline = () => {
      if (!this.running || !this.socket) return;
      const socket = this.socket;
      this.socket = null;
      clearInterval(this.pingTimer);
      try { socket.close(4000); } catch { /* nothing to close */ }
      this.socketFailures = Math.max(this.socketFailures, 1);
      this.socketLost({ code: 1006 });
    };
  }

  start() {
    if (this.running) return;
    this.running = true;
    window.addEventListener('pagehide', this.onPageHide);
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.onVisible);
    for (const type of ACTIVITY_EVENTS) window.addEventListener(type, this.onActivity, { capture: true, passive: true });
    window.addEventListener('scroll', this.onActivity, { passive: true }); // the page's, not a list's
    // The session first: a finished one is not followed live, and its state decides the rest.
    this.refresh().then(() => this.tryLive());
    // Should the page never tell whether the caller is seated, polling keeps the page alive.
    this.seatTimer = setTimeout(() => {
      if (this.awaitSeat && this.seated === null && this.mode === 'connecting') this.fallToPolling('refused');
    }, 8000);
  }

  /** Opens the socket if it can be used; otherwise polls, saying why. */
  tryLive() {
    if (!this.running || this.socket || this.opening || this.mode === 'live') return;
    if (!this.hasWebSocket) { this.fallToPolling('no-websocket'); return; }
    if (isFinal(this.session)) { this.fallToPolling('finished'); return; }
    if (this.awaitSeat) {
      if (this.seated === null) return; // the page will say
      if (!this.seated) {
        if (this.fallback !== 'refused') this.fallToPolling('refused', 'Le direct commence quand vous avez rejoint la session.');
        return;
      }
    }
    this.connect();
  }

  /** Whether the caller holds a seat (players only need one to be let in). */
  setSeated(seated) {
    const before = this.seated;
    this.seated = Boolean(seated);
    if (this.seated === before || !this.running) return;
    if (this.seated || this.mode === 'connecting') this.tryLive();
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.pollTimer);
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.countdownTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.soonTimer);
    clearTimeout(this.seatTimer);
    window.removeEventListener('pagehide', this.onPageHide);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.onVisible);
    for (const type of ACTIVITY_EVENTS) window.removeEventListener(type, this.onActivity, { capture: true });
    window.removeEventListener('scroll', this.onActivity);
    this.closeSocket();
    this.sendOffline();
  }

  /**
   * Whether the caller should count as online: the page turns it on while they hold a seat in a
   * session being played. Over the socket this is the server's business; while polling it is
   * the heartbeat.
   */
  setPresence(wanted) {
    if (wanted === this.wantsPresence) return;
    this.wantsPresence = wanted;
    if (this.mode !== 'polling') return;
    clearTimeout(this.heartbeatTimer);
    if (wanted) this.heartbeat();
    else this.sendOffline();
  }

  /** Fetches the session, presence and participants now (after an action, or an event). */
  refresh() {
    if (!this.running) return Promise.resolve();
    clearTimeout(this.pollTimer);
    if (this.inFlight) {
      this.again = true; // an event arrived while reading: read again once this one is done
      return this.inFlight;
    }
    this.inFlight = this.poll().finally(() => {
      this.inFlight = null;
      if (this.again && this.running) {
        this.again = false;
        this.refresh();
      } else {
        this.schedule();
      }
    });
    return this.inFlight;
  }

  schedule() {
    if (!this.running) return;
    clearTimeout(this.pollTimer);
    if (this.mode === 'polling') {
      // A finished session hardly changes any more (only its account): no need to ask as often.
      const every = this.fallback === 'finished' ? FINISHED_POLL_MS : this.pollMs;
      const delay = this.pollLost ? Math.min(every * 2 ** this.pollFailures, MAX_BACKOFF_MS) : every;
      this.pollTimer = setTimeout(() => this.refresh(), delay);
      if (this.pollLost) this.countdown(delay, this.pollReason);
    } else if (this.mode === 'live') {
      this.pollTimer = setTimeout(() => this.refresh(), LIVE_SAFETY_POLL_MS);
    }
    // While connecting, the socket's outcome decides what comes next.
  }

  countdown(delay, reason) {
    clearInterval(this.countdownTimer);
    const until = Date.now() + delay;
    const tick = () => {
      const retryIn = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      this.emit('connection', { state: 'lost', retryIn, reason });
      if (retryIn === 0) clearInterval(this.countdownTimer);
    };
    tick();
    this.countdownTimer = setInterval(tick, 1000);
  }

  connectionOk() {
    clearInterval(this.countdownTimer);
    this.emit('connection', { state: 'ok' });
  }

  async poll() {
    try {
      const session = await api(this.base);
      if (!this.running) return;
      this.session = session;
      this.emit('session', session);
      const [presence, participants] = await Promise.all([
        this.list(`${this.base}/presence`),
        this.list(`${this.base}/participants`),
      ]);
      if (!this.running) return;
      if (presence) this.emit('presence', presence);
      if (participants) this.emit('participants', participants);
      if (this.mode === 'polling') {
        if (this.pollLost) {
          this.pollLost = false;
          this.pollFailures = 0;
          this.heartbeat();
        }
        this.connectionOk();
        this.emit('sync');
      }
    } catch (error) {
      if (!this.running) return;
      if (error.isNetwork || error.status >= 500) {
        // Over the socket, its own reconnection reports the loss; here only when polling.
        if (this.mode === 'polling') {
          this.pollLost = true;
          this.pollFailures = Math.min(this.pollFailures + 1, 4);
          this.pollReason = error.reason;
        }
      } else if (error.status === 404 || error.status === 403) {
        this.emit('gone', error);
        this.stop();
      }
    }
  }

  /** A list read along with the session: null when refused (the session's own answer says why). */
  async list(path) {
    try {
      return await api(path);
    } catch (error) {
      if (error.isNetwork || error.status >= 500) throw error;
      return null;
    }
  }

  // --- Activity (the server tells `online` from `idle`).

  /**
   * The person touched, typed or scrolled (or came back to the tab). The next heartbeat says so;
   * over the socket, a `{"type":"active"}` frame at most every 30 s.
   */
  markActive() {
    if (!this.running) return;
    this.activeSinceHeartbeat = true;
    if (this.mode !== 'live' || !this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    if (now - this.activeSentAt < ACTIVE_FRAME_MS) return;
    if (this.send({ type: 'active' })) this.activeSentAt = now;
  }

  // --- Presence by heartbeat (polling only).

  async heartbeat() {
    clearTimeout(this.heartbeatTimer);
    if (!this.running || this.mode !== 'polling' || !this.wantsPresence) return;
    // Whether they did something since the previous heartbeat; without it, the heartbeat only
    // keeps the connection alive.
    const active = this.activeSinceHeartbeat;
    this.activeSinceHeartbeat = false;
    try {
      await api(`${this.base}/presence`, { method: 'POST', body: { active } });
      this.announced = true;
    } catch {
      if (active) this.activeSinceHeartbeat = true; // not delivered: the next one says it
    }
    if (this.running && this.mode === 'polling' && this.wantsPresence) {
      this.heartbeatTimer = setTimeout(() => this.heartbeat(), this.heartbeatMs);
    }
  }

  /** Tells the server the caller left the page; survives the page being closed. */
  sendOffline() {
    clearTimeout(this.heartbeatTimer);
    if (!this.announced) return;
    this.announced = false;
    api(`${this.base}/presence`, { method: 'DELETE', keepalive: true }).catch(() => {});
  }

  // --- The socket.

  /** The channel's address; with a ticket for the socket, without for `api()` (its header). */
  liveUrl(credential = {}) {
    const params = new URLSearchParams();
    if (credential.ticket) params.set('ticket', credential.ticket);
    if (this.lastSeq !== null) params.set('since', String(this.lastSeq));
    const query = params.toString();
    return `${this.base}/live${query ? `?${query}` : ''}`;
  }

  setMode(mode, reason) {
    this.mode = mode;
    this.emit('mode', { mode, reason });
  }

  /**
   * What opens the socket: a ticket, refused exactly as the socket would be (so its refusal is
   * the diagnosis).
   */
  async credential() {
    const { ticket } = await api(`${this.base}/live-ticket`, { method: 'POST' });
    return { ticket };
  }

  async connect() {
    if (!this.running || this.socket || this.opening) return;
    clearTimeout(this.reconnectTimer);
    this.opening = true;
    let credential;
    try {
      credential = await this.credential();
    } catch (error) {
      this.opening = false;
      if (this.running && !this.socket) this.refused(error);
      return;
    }
    this.opening = false;
    if (!this.running || this.socket) return;
    const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const resuming = this.lastSeq !== null;
    let socket;
    try {
      socket = new WebSocket(`${protocol}//${location.host}${this.liveUrl(credential)}`);
    } catch {
      this.fallToPolling('blocked');
      return;
    }
    this.socket = socket;
    this.closedReason = null;
    this.replacedReason = null;
    this.lagSince = null;
    let opened = false;

    socket.addEventListener('open', () => {
      if (socket !== this.socket) return;
      opened = true;
      this.socketFailures = 0;
      this.fallback = null;
      this.lastFrameAt = Date.now();
      // The socket now keeps the caller online: no more heartbeat (and no DELETE, which would
      // mark them offline while the socket counts them in).
      clearTimeout(this.heartbeatTimer);
      this.announced = false;
      this.pollLost = false;
      this.setMode('live');
      this.connectionOk();
      this.startPings();
      // Opening the socket counts as activity for the server: the next frame is due in 30 s.
      this.activeSentAt = Date.now();
      // Events from before this socket were missed unless `since` picked up where we were.
      this.refresh();
      if (!resuming) this.emit('sync');
    });
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = Date.now();
      this.receive(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      clearInterval(this.pingTimer);
      if (!this.running) return;
      if (opened) this.socketLost(event);
      else this.diagnose();
    });
  }

  closeSocket(code = 1000) {
    const socket = this.socket;
    this.socket = null;
    clearInterval(this.pingTimer);
    if (socket && socket.readyState <= 1) {
      try { socket.close(code); } catch { /* already closing */ }
    }
  }

  /**
   * « Réessayer maintenant », the browser back online or the page shown again: whatever carries
   * the channel tries now rather than at the end of its back-off.
   */
  retryNow() {
    if (!this.running) return;
    if (this.mode === 'polling') {
      if (this.pollLost) this.refresh();
    } else if (!this.socket) {
      this.reconnectNow();
    }
  }

  reconnectNow() {
    if (!this.running || this.socket || !this.hasWebSocket) return;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.countdownTimer);
    this.tryLive();
  }

  startPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastFrameAt > SILENCE_MS) {
        // Nothing came back, not even a pong: the connection is gone without telling us.
        const socket = this.socket;
        this.socket = null;
        clearInterval(this.pingTimer);
        try { socket.close(4000); } catch { /* nothing to close */ }
        this.socketLost({ code: 1006 });
        return;
      }
      this.send({ type: 'ping' });
    }, PING_MS);
  }

  /** Sends a frame, within the server's limits (size and rate); false when it was not sent. */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    const text = JSON.stringify(message);
    if (new Blob([text]).size > MAX_FRAME_BYTES) return false;
    const now = Date.now();
    this.sentAt = this.sentAt.filter((at) => now - at < 1000);
    if (this.sentAt.length >= MAX_FRAMES_PER_SECOND) return false;
    this.sentAt.push(now);
    this.socket.send(text);
    return true;
  }

  receive(text) {
    let message;
    try { message = JSON.parse(text); } catch { return; }
    if (!message || typeof message !== 'object') return;
    if (typeof message.seq === 'number') {
      if (this.lastSeq !== null && message.seq <= this.lastSeq) return; // already seen
      this.lastSeq = message.seq;
      this.apply(message);
      return;
    }
    const data = message.data && typeof message.data === 'object' ? message.data : message;
    switch (message.type) {
      case 'pong':
        break;
      case 'stream.lagging':
        // The server closes right after: pick up from where it says we are.
        if (typeof data.since === 'number') this.lagSince = data.since;
        this.closedReason = data.reason || null;
        break;
      case 'stream.resync':
        // Older events are gone from the journal: reload everything.
        this.refresh();
        this.emit('sync');
        break;
      case 'stream.closed':
        this.closedReason = data.reason || null;
        break;
      case 'stream.replaced':
        // Too many connections of ours: a newer one took over. Reconnecting would close another
        // in turn; this page polls until someone looks at it again.
        this.replacedReason = data.reason || 'Connexion au direct reprise par un autre onglet.';
        break;
      case 'session.deleted':
        this.emit('gone', new ApiError(404, data.reason || 'La session a été supprimée.'));
        this.stop();
        break;
      default:
        break;
    }
  }

  apply(event) {
    const type = String(event.type || '');
    if (type.startsWith('chat.')) {
      // chat.message, .edited, .deleted, .pinned, .unpinned: each carries the line as it now is.
      if (event.data) this.emit('chat', event.data);
    } else if (type === 'cards.drawn') {
      if (event.data) this.emit('draw', event.data);
    } else if (type === 'handout.shown') {
      if (event.data) this.emit('handout', event.data);
    } else if (type === 'rsvp.answered') {
      // The answers list is read again by the page; the counts come with the session.
      this.emit('rsvp', event.data);
      this.refreshSoon();
    } else if (type.startsWith('presence.') || type.startsWith('participant.') || type.startsWith('session.')) {
      // presence.online / offline / idle / active: shown at once, then read again.
      if (type.startsWith('presence.') && event.data && typeof event.data === 'object') {
        this.emit('presence-event', { type: type.slice('presence.'.length), person: event.data });
      }
      // Simple and exact: read again what the event concerns (several events make one read).
      this.refreshSoon();
    }
  }

  refreshSoon() {
    clearTimeout(this.soonTimer);
    this.soonTimer = setTimeout(() => this.refresh(), 120);
  }

  /** The socket closed after it had opened: reconnect with `since`, soon, then less often. */
  socketLost(event) {
    if (this.replacedReason) {
      this.fallToPolling('replaced', this.replacedReason);
      return;
    }
    if (this.lagSince !== null) {
      this.lastSeq = this.lastSeq === null ? this.lagSince : Math.min(this.lastSeq, this.lagSince);
    }
    const explained = Boolean(this.closedReason) || event.code === 1000;
    this.setMode('connecting', this.closedReason);
    if (explained && this.socketFailures === 0) {
      // The server said why (a leave, a restart, too slow): try again at once, quietly; a
      // refusal then falls back to polling with the right message.
      this.socketFailures = 1;
      this.reconnectTimer = setTimeout(() => this.tryLive(), 300);
      return;
    }
    this.retryLater(this.closedReason || 'Connexion au direct perdue.');
  }

  retryLater(reason) {
    this.socketFailures = Math.min(this.socketFailures + 1, 6);
    const delay = backoff(this.socketFailures);
    this.countdown(delay, reason);
    this.reconnectTimer = setTimeout(() => this.tryLive(), delay);
  }

  /**
   * The socket failed before opening. A browser does not tell why; the same address asked
   * without the upgrade does: 426 means the server would have accepted it, anything else is the
   * refusal itself (or the server being unreachable).
   */
  async diagnose() {
    let error = null;
    try {
      await api(this.liveUrl());
    } catch (caught) {
      error = caught;
    }
    if (!this.running || this.socket) return;
    this.refused(error);
  }

  /** Acts on why the socket could not be had: `error` from the diagnosis or the ticket, if any. */
  refused(error) {
    if (!error || error.status === 426) {
      // The server agreed, yet the socket failed: a proxy or a network that blocks WebSockets.
      this.socketFailures += 1;
      if (this.socketFailures >= 3) this.fallToPolling('blocked', 'Le direct est bloqué par le réseau : actualisation régulière à la place.');
      else this.retryLater('Connexion au direct impossible.');
      return;
    }
    if (error.isNetwork || error.status >= 500) {
      this.retryLater(error.reason);
      return;
    }
    if (error.status === 400 && this.lastSeq !== null) {
      this.lastSeq = null; // a `since` the server does not take: start afresh
      this.reconnectTimer = setTimeout(() => this.tryLive(), 300);
      return;
    }
    if (error.status === 401) return; // signed out by api(): the page goes away
    if (error.status === 403) { this.fallToPolling('refused', error.reason); return; }
    if (error.status === 409) { this.fallToPolling('finished', error.reason); return; }
    if (error.status === 404) {
      this.emit('gone', error);
      this.stop();
      return;
    }
    this.fallToPolling('blocked', error.reason);
  }

  /** Polling from now on: the state every few seconds, presence by heartbeat. */
  fallToPolling(why, reason) {
    if (!this.running) return;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.countdownTimer);
    this.fallback = why;
    this.setMode('polling', reason);
    this.connectionOk();
    this.refresh(); // and from then on, every few seconds
    this.heartbeat();
    // A socket that failed for no reason we know is worth another try now and then.
    if (why === 'blocked') this.reconnectTimer = setTimeout(() => this.tryLive(), RETRY_SOCKET_MS);
  }
}

/** The live channel of a session, whatever carries it. */
export function openSessionChannel(sessionId, options) {
  return new SessionChannel(sessionId, options);
}

/**
 * Calls `task` now and every `ms` while the page stays, quietly; for pages that only need to stay
 * reasonably fresh (a partie's sessions and members). Returns a stop function.
 */
export function every(ms, task) {
  let timer = null;
  let stopped = false;
  const loop = async () => {
    if (stopped) return;
    try { await task(); } catch { /* the next round will try again */ }
    if (!stopped) timer = setTimeout(loop, ms);
  };
  timer = setTimeout(loop, ms);
  return () => { stopped = true; clearTimeout(timer); };
}
