// The live state of one session: the session itself, who is connected and who takes part.
//
// Today this polls the API every few seconds and sends the presence heartbeat. The server will
// later push events on `GET /api/sessions/{id}/live?token=…&since=SEQ` (presence.online/offline,
// participant.joined/left, session.status, session.updated, …): a WebSocket channel with the same
// interface (`on`, `start`, `stop`, `refresh`) can then replace `PollingChannel` inside
// `openSessionChannel` without touching the pages, which only listen to these events:
//
//   'session'      (Session)            the session as the caller sees it
//   'presence'     ([Presence])         who is connected
//   'participants' ([Participant])      who took a seat
//   'connection'   ({state: 'ok'|'lost', retryIn?: seconds, reason?})
//   'unavailable'  ('presence'|'participants')  the server does not offer this yet
//   'gone'         (ApiError)           the session no longer exists or is no longer visible

import { api } from './api.js';

const POLL_MS = 4000;
const HEARTBEAT_MS = 20000;
const MAX_BACKOFF_MS = 30000;

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

export class PollingChannel extends Emitter {
  constructor(sessionId, { pollMs = POLL_MS, heartbeatMs = HEARTBEAT_MS } = {}) {
    super();
    this.sessionId = sessionId;
    this.base = `/api/sessions/${encodeURIComponent(sessionId)}`;
    this.pollMs = pollMs;
    this.heartbeatMs = heartbeatMs;
    this.running = false;
    this.lost = false;
    this.failures = 0;
    this.pollTimer = null;
    this.heartbeatTimer = null;
    this.countdownTimer = null;
    this.inFlight = null;
    this.features = { presence: true, participants: true };
    this.wantsPresence = false;
    this.announced = false;
    this.onPageHide = () => this.sendOffline();
    this.onVisible = () => {
      if (document.visibilityState === 'visible' && this.running) {
        this.refresh();
        this.heartbeat();
      }
    };
  }

  start() {
    if (this.running) return;
    this.running = true;
    window.addEventListener('pagehide', this.onPageHide);
    document.addEventListener('visibilitychange', this.onVisible);
    this.refresh();
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.pollTimer);
    clearTimeout(this.heartbeatTimer);
    clearInterval(this.countdownTimer);
    window.removeEventListener('pagehide', this.onPageHide);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.sendOffline();
  }

  /** Whether to keep the caller online: the page turns it on while the session can be played. */
  setPresence(wanted) {
    if (wanted === this.wantsPresence) return;
    this.wantsPresence = wanted;
    clearTimeout(this.heartbeatTimer);
    if (wanted) this.heartbeat();
    else this.sendOffline();
  }

  /** Fetches everything now (after an action of the user), then polls again later. */
  refresh() {
    if (!this.running) return Promise.resolve();
    clearTimeout(this.pollTimer);
    if (!this.inFlight) {
      this.inFlight = this.poll().finally(() => {
        this.inFlight = null;
        this.schedule();
      });
    }
    return this.inFlight;
  }

  schedule() {
    if (!this.running) return;
    clearTimeout(this.pollTimer);
    const delay = this.lost ? Math.min(this.pollMs * 2 ** this.failures, MAX_BACKOFF_MS) : this.pollMs;
    this.pollTimer = setTimeout(() => this.refresh(), delay);
    if (this.lost) this.countdown(delay);
  }

  countdown(delay) {
    clearInterval(this.countdownTimer);
    const until = Date.now() + delay;
    const tick = () => {
      const retryIn = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      this.emit('connection', { state: 'lost', retryIn, reason: this.lastReason });
      if (retryIn === 0) clearInterval(this.countdownTimer);
    };
    tick();
    this.countdownTimer = setInterval(tick, 1000);
  }

  async poll() {
    try {
      const session = await api(this.base);
      if (!this.running) return;
      this.emit('session', session);
      const [presence, participants] = await Promise.all([
        this.optional('presence', `${this.base}/presence`),
        this.optional('participants', `${this.base}/participants`),
      ]);
      if (!this.running) return;
      if (presence) this.emit('presence', presence);
      if (participants) this.emit('participants', participants);
      if (this.lost) {
        this.lost = false;
        this.failures = 0;
        clearInterval(this.countdownTimer);
        this.heartbeat();
      }
      this.emit('connection', { state: 'ok' });
    } catch (error) {
      if (!this.running) return;
      if (error.isNetwork || error.status >= 500) {
        this.lost = true;
        this.failures = Math.min(this.failures + 1, 4);
        this.lastReason = error.reason;
      } else if (error.status === 404 || error.status === 403) {
        this.emit('gone', error);
        this.stop();
      } else {
        this.emit('connection', { state: 'ok' });
      }
    }
  }

  /** A list the server may not offer yet: null (and 'unavailable' once) when it is missing. */
  async optional(feature, path) {
    if (!this.features[feature]) return null;
    try {
      return await api(path);
    } catch (error) {
      if (error.isMissingEndpoint) {
        this.features[feature] = false;
        this.emit('unavailable', feature);
        return null;
      }
      if (error.isNetwork || error.status >= 500) throw error;
      return null;
    }
  }

  async heartbeat() {
    clearTimeout(this.heartbeatTimer);
    if (!this.running || !this.wantsPresence || !this.features.presence) return;
    try {
      await api(`${this.base}/presence`, { method: 'POST', body: {} });
      this.announced = true;
    } catch (error) {
      if (error.isMissingEndpoint) {
        this.features.presence = false;
        this.emit('unavailable', 'presence');
        return;
      }
    }
    if (this.running && this.wantsPresence) {
      this.heartbeatTimer = setTimeout(() => this.heartbeat(), this.heartbeatMs);
    }
  }

  /** Tells the server the caller left the page; survives the page being closed. */
  sendOffline() {
    if (!this.announced || !this.features.presence) return;
    this.announced = false;
    api(`${this.base}/presence`, { method: 'DELETE', keepalive: true }).catch(() => {});
  }
}

/** The live channel of a session, whatever carries it. */
export function openSessionChannel(sessionId) {
  return new PollingChannel(sessionId);
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
