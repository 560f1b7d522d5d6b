// Client of the Étrange France session server, for the mobile app (React Native) and browsers.
// One ES module, no dependency, no build step. Its types are clients/js/etrange.d.ts, generated
// from the server's OpenAPI document by scripts/gen-client-types.py: edit ROUTES, then run it.
// What this file declares beyond the operations (EtrangeClient, its options, EtrangeError, the live
// channel) is typed by hand in clients/js/etrange.client.d.ts: change it with the code here.

/** The one error every call rejects with: the server's status, its French reason and its body. */
export class EtrangeError extends Error {
  constructor(status, reason, body = null, options = undefined) {
    super(reason, options);
    this.name = 'EtrangeError';
    this.status = status;
    this.reason = reason;
    this.body = body;
    this.field = body && typeof body === 'object' && typeof body.field === 'string' ? body.field : null;
    // Seconds to wait before trying again, from a 429's or a 503's Retry-After.
    this.retryAfter = null;
  }
}

/** A token store that forgets everything when the app stops; the app passes its own (SecureStore). */
export function memoryTokenStore(initial = null) {
  let token = initial;
  return {
    get: () => token,
    set: (value) => { token = value; },
    clear: () => { token = null; },
  };
}

// Every operation of the client, named after its OpenAPI operationId. The generator reads this
// table (one entry a line, between the two markers) to type each method from the document.
// A method takes the path's parameters in order, then the JSON body for POST, PUT, PATCH and
// DELETE when the operation has one (deleting an account or a partie asks a confirmation), then
// the query parameters as one object.
// routes:begin
export const ROUTES = Object.freeze({
  register: ['POST', '/api/auth/register'],
  login: ['POST', '/api/auth/login'],
  logout: ['POST', '/api/auth/logout'],
  changePassword: ['POST', '/api/auth/password'],
  getMe: ['GET', '/api/me'],
  updateMe: ['PUT', '/api/me'],
  listScenarios: ['GET', '/api/scenarios'],
  createScenario: ['POST', '/api/scenarios'],
  listParties: ['GET', '/api/parties'],
  createPartie: ['POST', '/api/parties'],
  getPartie: ['GET', '/api/parties/{id}'],
  updatePartie: ['PUT', '/api/parties/{id}'],
  previewInvitation: ['GET', '/api/invitations/{code}'],
  joinPartie: ['POST', '/api/parties/join'],
  listPartieMembers: ['GET', '/api/parties/{id}/members'],
  leavePartie: ['DELETE', '/api/parties/{id}/members/me'],
  removePartieMember: ['DELETE', '/api/parties/{id}/members/{user_id}'],
  rotatePartieInvite: ['POST', '/api/parties/{id}/invite/rotate'],
  listCharacters: ['GET', '/api/characters'],
  createCharacter: ['POST', '/api/characters'],
  getCharacter: ['GET', '/api/characters/{id}'],
  updateCharacterSheet: ['PUT', '/api/characters/{id}/sheet'],
  addPotFigure: ['POST', '/api/characters/{id}/pot'],
  resetPot: ['POST', '/api/characters/{id}/pot/reset'],
  getReferenceLists: ['GET', '/api/reference'],
  listSessions: ['GET', '/api/sessions'],
  createSession: ['POST', '/api/sessions'],
  getSession: ['GET', '/api/sessions/{id}'],
  updateSession: ['PUT', '/api/sessions/{id}'],
  deleteSession: ['DELETE', '/api/sessions/{id}'],
  startSession: ['POST', '/api/sessions/{id}/start'],
  pauseSession: ['POST', '/api/sessions/{id}/pause'],
  resumeSession: ['POST', '/api/sessions/{id}/resume'],
  endSession: ['POST', '/api/sessions/{id}/end'],
  cancelSession: ['POST', '/api/sessions/{id}/cancel'],
  joinSession: ['POST', '/api/sessions/{id}/join'],
  leaveSession: ['POST', '/api/sessions/{id}/leave'],
  getWaitlist: ['GET', '/api/sessions/{id}/waitlist'],
  joinWaitlist: ['POST', '/api/sessions/{id}/waitlist'],
  leaveWaitlist: ['DELETE', '/api/sessions/{id}/waitlist'],
  listSessionPresence: ['GET', '/api/sessions/{id}/presence'],
  connectSessionPresence: ['POST', '/api/sessions/{id}/presence'],
  disconnectSessionPresence: ['DELETE', '/api/sessions/{id}/presence'],
  listSessionParticipants: ['GET', '/api/sessions/{id}/participants'],
  addSessionParticipant: ['POST', '/api/sessions/{id}/participants'],
  createLiveTicket: ['POST', '/api/sessions/{id}/live-ticket'],
  drawCards: ['POST', '/api/sessions/{id}/draws'],
  listSessionDraws: ['GET', '/api/sessions/{id}/draws'],
  getSessionDeck: ['GET', '/api/sessions/{id}/decks/{deck}'],
  listSessionMessages: ['GET', '/api/sessions/{id}/messages'],
  postSessionMessage: ['POST', '/api/sessions/{id}/messages'],
  editSessionMessage: ['PATCH', '/api/sessions/{id}/messages/{message}'],
  deleteSessionMessage: ['DELETE', '/api/sessions/{id}/messages/{message}'],
  pinSessionMessage: ['PUT', '/api/sessions/{id}/messages/{message}/pin'],
  unpinSessionMessage: ['DELETE', '/api/sessions/{id}/messages/{message}/pin'],
  listSessionRSVPs: ['GET', '/api/sessions/{id}/rsvps'],
  answerSession: ['PUT', '/api/sessions/{id}/rsvp'],
  exportMyData: ['GET', '/api/me/export'],
  deleteMe: ['DELETE', '/api/me'],
  deletePartie: ['DELETE', '/api/parties/{id}'],
  transferPartie: ['POST', '/api/parties/{id}/transfer'],
  deleteCharacter: ['DELETE', '/api/characters/{id}'],
});
// routes:end

// Operations whose answer is a new token (AuthResponse): the client keeps it.
const ISSUES_TOKEN = new Set(['register', 'login', 'changePassword']);
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The invitation code in what a QR code carries: the invitation link (`…/invitation/{code}`, the
 * server's `invite_url`) or, from the app's former backend, the partie's bare `qr_code` UUID, which
 * the server accepts as an invitation code once the app's data is imported.
 */
export function invitationCode(scanned) {
  const text = String(scanned ?? '').trim();
  const link = /\/invitation\/([^/?#\s]+)/.exec(text);
  const code = link ? decodeURIComponent(link[1]) : text;
  if (!code) throw new EtrangeError(400, 'invite_code : le QR code ne contient pas de code d\u2019invitation.');
  return code;
}

export class EtrangeClient {
  /**
   * @param options.baseUrl the server, e.g. `https://etrange.example.org` (no trailing `/api`)
   * @param options.tokenStore `{get, set, clear}`, each may return a promise (SecureStore)
   * @param options.fetch the fetch to use (the global one by default)
   * @param options.WebSocket the WebSocket constructor for `live()` (the global one by default)
   * @param options.timeoutMs how long a request may take before it fails with status 0 (0: no limit)
   */
  constructor({
    baseUrl, tokenStore = memoryTokenStore(), fetch: fetchImpl, WebSocket: socketImpl, timeoutMs = 30000,
  } = {}) {
    if (!baseUrl) throw new TypeError('EtrangeClient: baseUrl est requis.');
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.tokenStore = tokenStore;
    this.timeoutMs = timeoutMs;
    this._fetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
    this._WebSocket = socketImpl ?? globalThis.WebSocket;
    if (!this._fetch) throw new TypeError('EtrangeClient: aucun fetch disponible, passez-en un.');
  }

  /** Calls one operation of ROUTES by name; each method of the client is this. */
  async call(name, ...args) {
    const route = ROUTES[name];
    if (!route) throw new TypeError(`EtrangeClient: opération inconnue ${name}.`);
    const [method, template] = route;
    let index = 0;
    const path = template.replace(/\{[^}]+\}/g, (placeholder) => {
      const value = args[index++];
      if (value === undefined || value === null || value === '') {
        throw new TypeError(`EtrangeClient.${name}: ${placeholder} manque.`);
      }
      return encodeURIComponent(String(value));
    });
    const body = WITH_BODY.has(method) ? args[index++] : undefined;
    const query = args[index];
    if (name === 'logout') {
      try {
        return await this.request(method, path, { body, query });
      } finally {
        // Signed out locally even when the server is unreachable or the token already dead.
        await this.tokenStore.clear();
      }
    }
    const answer = await this.request(method, path, { body, query });
    if (ISSUES_TOKEN.has(name) && answer && typeof answer.token === 'string') {
      await this.tokenStore.set(answer.token, answer);
    }
    return answer;
  }

  /** One request to the API; rejects with EtrangeError on any failure, the network's included. */
  async request(method, path, { body, query, headers = {} } = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
    }
    const sent = { Accept: 'application/json', ...headers };
    const token = await this.tokenStore.get();
    if (token) sent.Authorization = `Bearer ${token}`;
    if (body !== undefined) sent['Content-Type'] = 'application/json';
    // A phone between two networks may leave a request hanging for minutes: it fails instead.
    const abort = this.timeoutMs > 0 && typeof AbortController === 'function' ? new AbortController() : null;
    const timer = abort ? setTimeout(() => abort.abort(), this.timeoutMs) : null;
    let response;
    let text;
    try {
      response = await this._fetch(url.toString(), {
        method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort?.signal,
      });
      text = response.status === 204 ? '' : await response.text();
    } catch (error) {
      const reason = abort?.signal.aborted
        ? 'Le serveur ne répond pas : vérifiez la connexion.'
        : 'Serveur injoignable : vérifiez la connexion.';
      throw new EtrangeError(0, reason, null, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    let parsed = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      const reason = parsed && typeof parsed === 'object' && typeof parsed.reason === 'string'
        ? parsed.reason
        : `Erreur ${response.status} du serveur.`;
      const error = new EtrangeError(response.status, reason, parsed);
      const header = response.headers?.get?.('Retry-After');
      if (header && Number.isFinite(Number(header))) error.retryAfter = Number(header);
      throw error;
    }
    return text ? parsed : undefined;
  }

  /** Whether a token is stored (it may still have expired: the next call says so with a 401). */
  async isSignedIn() {
    return Boolean(await this.tokenStore.get());
  }

  /**
   * Keeps the caller's presence in a session alive: `POST …/presence` now and every `intervalMs`
   * (30 s, half the server's default presence timeout). `markActive()` makes the next one count as
   * activity. Failures go to `onError` and do not stop the beat.
   */
  startHeartbeat(sessionId, { intervalMs = 30000, onError = () => {} } = {}) {
    let active = false;
    let stopped = false;
    const beat = async () => {
      const body = active ? { active: true } : {};
      active = false;
      try {
        await this.connectSessionPresence(sessionId, body);
      } catch (error) {
        if (!stopped) onError(error);
      }
    };
    const timer = setInterval(beat, intervalMs);
    const first = beat();
    return {
      first,
      markActive: () => { active = true; },
      stop: () => { stopped = true; clearInterval(timer); },
    };
  }

  /** The live channel of a session; see LiveConnection. */
  live(sessionId, options = {}) {
    return new LiveConnection(this, sessionId, options);
  }
}

for (const name of Object.keys(ROUTES)) {
  Object.defineProperty(EtrangeClient.prototype, name, {
    value: function (...args) { return this.call(name, ...args); },
    writable: true,
    configurable: true,
  });
}

// Refusals of the ticket that reconnecting cannot mend: signed out, not a participant, unknown
// session, finished session.
const FINAL_STATUSES = new Set([400, 401, 403, 404, 409]);

/**
 * A session's live channel that keeps itself open. Each connection asks a one-use ticket
 * (`POST …/live-ticket`, so that no token is written in a URL), then opens the socket with
 * `since` = the last `seq` seen once one was; events reach `onEvent` in order and once each,
 * whatever the reconnections. A closed connection is reopened after an exponential back-off with
 * jitter; it stays closed after `close()`, `stream.replaced` (another device of the person took its
 * place), `session.deleted`, and when the next ticket is refused (400, 401 signed out, 403 seat
 * given up, 404 deleted or removed from the partie, 409 session over).
 */
export class LiveConnection {
  constructor(client, sessionId, {
    since = null,
    onEvent = () => {},
    onControl = () => {},
    onResync = () => {},
    onStateChange = () => {},
    WebSocket: socketImpl,
    initialDelayMs = 500,
    maxDelayMs = 30000,
    random = Math.random,
    pingIntervalMs = 25000,
  } = {}) {
    this.client = client;
    this.sessionId = sessionId;
    this.lastSeq = since;
    this.state = 'idle';
    this.attempt = 0;
    this.closeReason = null;
    this._handlers = { onEvent, onControl, onResync, onStateChange };
    this._WebSocket = socketImpl ?? client._WebSocket;
    if (!this._WebSocket) throw new TypeError('LiveConnection: aucun WebSocket disponible, passez-en un.');
    this._delays = { initialDelayMs, maxDelayMs, random };
    this._pingIntervalMs = pingIntervalMs;
    this._socket = null;
    this._timer = null;
    this._pinger = null;
    this._opened = false;
    this._everOpened = false;
    this._connect();
  }

  /** Tells the server the person did something (a touch, a key): they are back from idle. */
  markActive() {
    this._send({ type: 'active' });
  }

  /** Closes for good: no reconnection. */
  close() {
    this._finish({ code: 1000, reason: null });
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      try { socket.close(1000); } catch { /* already closing */ }
    }
  }

  /** The delay before reconnection attempt `attempt` (from 0): half fixed, half random, doubling. */
  nextDelay(attempt) {
    const { initialDelayMs, maxDelayMs, random } = this._delays;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
    return ceiling / 2 + random() * (ceiling / 2);
  }

  _setState(state, detail = null) {
    this.state = state;
    this._handlers.onStateChange(state, detail);
  }

  // `why` is `{code, reason}` (the server's close and its last control frame's French reason) or
  // `{error}` (the EtrangeError refusing the ticket).
  _finish(why) {
    if (this.state === 'closed') return;
    clearTimeout(this._timer);
    clearInterval(this._pinger);
    this.closeReason = why;
    this._setState('closed', why);
  }

  async _connect() {
    if (this.state === 'closed') return;
    this._setState('connecting', { attempt: this.attempt });
    let ticket;
    try {
      ticket = await this.client.createLiveTicket(this.sessionId);
    } catch (error) {
      if (this.state === 'closed') return;
      if (error instanceof EtrangeError && FINAL_STATUSES.has(error.status)) {
        this._finish({ error });
      } else {
        this._retry(error);
      }
      return;
    }
    if (this.state === 'closed') return;
    const url = new URL(this.client.baseUrl + `/api/sessions/${encodeURIComponent(this.sessionId)}/live`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('ticket', ticket.ticket);
    if (this.lastSeq !== null && this.lastSeq !== undefined) url.searchParams.set('since', String(this.lastSeq));
    else if (this._everOpened) this._handlers.onResync({ reason: 'no-seq' });
    let socket;
    try {
      socket = new this._WebSocket(url.toString());
    } catch (error) {
      this._retry(error);
      return;
    }
    this._socket = socket;
    this._opened = false;
    this._final = false;
    this._lastControlReason = null;
    socket.onopen = () => {
      if (socket !== this._socket) return;
      this._opened = true;
      this._everOpened = true;
      this.attempt = 0;
      this._setState('open');
      this._startPinging();
    };
    socket.onmessage = (message) => {
      if (socket !== this._socket) return;
      this._lastHeard = Date.now();
      this._receive(message.data);
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (socket !== this._socket) return;
      this._socket = null;
      clearInterval(this._pinger);
      if (this.state === 'closed') return;
      const code = event?.code ?? 1006;
      const why = { code, reason: this._lastControlReason };
      // A normal closure may mean « over » (session finished, seat given up) or « reconnect with
      // your new rights » (the partie changed hands): the next ticket tells which.
      if (this._final) this._finish(why);
      else this._retry(why);
    };
  }

  _receive(data) {
    let frame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== 'string') return;
    if (typeof frame.seq === 'number') {
      // A catch-up that overlaps what was already delivered: each event once, in order.
      if (this.lastSeq !== null && this.lastSeq !== undefined && frame.seq <= this.lastSeq) return;
      this.lastSeq = frame.seq;
      this._handlers.onEvent(frame);
      return;
    }
    if (frame.type === 'pong') return;
    this._lastControlReason = frame.data?.reason ?? null;
    if (frame.type === 'stream.replaced' || frame.type === 'session.deleted') this._final = true;
    if (frame.type === 'stream.resync') this._handlers.onResync(frame.data);
    this._handlers.onControl(frame);
  }

  // `why`: the error of the failed attempt, or `{code, reason}` of the dropped connection.
  _retry(why) {
    if (this.state === 'closed') return;
    // A 429 on the ticket says when to come back; earlier would only be refused again.
    const asked = why instanceof EtrangeError && why.retryAfter ? why.retryAfter * 1000 : 0;
    const delay = Math.max(asked, this.nextDelay(this.attempt));
    this.attempt += 1;
    this._setState('waiting', { delay, why });
    this._timer = setTimeout(() => this._connect(), delay);
  }

  _send(frame) {
    const socket = this._socket;
    if (socket && this._opened) {
      try { socket.send(JSON.stringify(frame)); } catch { /* closing: the close handler reconnects */ }
    }
  }

  // A phone that changes network may keep a dead socket for minutes: two pings unanswered and the
  // connection is dropped and reopened.
  _startPinging() {
    clearInterval(this._pinger);
    if (!this._pingIntervalMs) return;
    this._lastHeard = Date.now();
    this._pinger = setInterval(() => {
      if (Date.now() - this._lastHeard > 2 * this._pingIntervalMs) {
        const socket = this._socket;
        try { socket?.close(4000); } catch { /* already closing */ }
        socket?.onclose?.({ code: 4000 });
        return;
      }
      this._send({ type: 'ping' });
    }, this._pingIntervalMs);
  }
}
