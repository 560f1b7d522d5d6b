// The declarations of clients/js/etrange.js written by hand: the client itself, its options,
// its errors and its live channel. etrange.d.ts, generated, holds the API's types and
// re-exports these; import from etrange.js as usual.
import type { AuthResponse, ErrorResponse, EtrangeOperations, LiveEvent } from './etrange.js';

/** Where the client keeps the bearer token; each method may return a promise (SecureStore, AsyncStorage). */
export interface TokenStore {
  get(): string | null | undefined | Promise<string | null | undefined>;
  set(token: string, auth: AuthResponse): void | Promise<void>;
  clear(): void | Promise<void>;
}

export declare function memoryTokenStore(initial?: string | null): TokenStore;

/** The invitation code in a scanned QR code: an invitation link (`…/invitation/{code}`) or a legacy `qr_code` UUID. */
export declare function invitationCode(scanned: string): string;

/** Every failure of a call: `status` (0 when the server could not be reached), the server's French `reason`, its body. */
export declare class EtrangeError extends Error {
  constructor(status: number, reason: string, body?: ErrorResponse | string | null, options?: { cause?: unknown });
  readonly status: number;
  readonly reason: string;
  readonly body: ErrorResponse | string | null;
  /** The request field at fault, for a 400. */
  readonly field: string | null;
  /** Seconds to wait before trying again, from a 429's or a 503's `Retry-After`. */
  retryAfter: number | null;
}

/** What a WebSocket constructor must offer: the browser's, React Native's, Node's, or a test's. */
export interface WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ClientOptions {
  /** The server, e.g. `https://etrange.example.org` (without `/api`). */
  baseUrl: string;
  tokenStore?: TokenStore;
  fetch?: typeof fetch;
  WebSocket?: WebSocketConstructor;
  /** How long a request may take before it fails with status 0 (30 s by default; 0: no limit). */
  timeoutMs?: number;
}

/** A frame without `seq`: `stream.lagging`, `stream.resync`, `stream.closed`, `stream.replaced`, `session.deleted`. */
export interface LiveControlFrame {
  type: string;
  data?: { reason?: string; [key: string]: unknown };
}

export type LiveState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/** Why a live connection stopped or is waiting: the server's close code and last French reason, or the refused ticket's error. */
export type LiveCloseReason = { code: number; reason: string | null } | { error: EtrangeError };

export interface LiveOptions {
  /** Replay from after this `seq` on the first connection too (0: everything kept). */
  since?: number | null;
  /** Each numbered event, once, in order. */
  onEvent?: (event: LiveEvent) => void;
  onControl?: (frame: LiveControlFrame) => void;
  /** Events may have been missed (pruned, or no `seq` seen before a reconnection): reload the session. */
  onResync?: (data: unknown) => void;
  onStateChange?: (state: LiveState, detail: unknown) => void;
  WebSocket?: WebSocketConstructor;
  /** Back-off: the n-th retry waits between half and all of min(maxDelayMs, initialDelayMs × 2ⁿ). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  /** 0 disables the client's pings (and the detection of a dead socket). */
  pingIntervalMs?: number;
}

export declare class LiveConnection {
  readonly sessionId: string;
  /** The last `seq` delivered; the next connection asks `since` it. */
  readonly lastSeq: number | null;
  readonly state: LiveState;
  readonly attempt: number;
  readonly closeReason: LiveCloseReason | null;
  markActive(): void;
  close(): void;
  nextDelay(attempt: number): number;
}

export interface Heartbeat {
  /** The first beat, sent at once. */
  readonly first: Promise<void>;
  markActive(): void;
  stop(): void;
}

export declare const ROUTES: Readonly<Record<keyof EtrangeOperations, readonly [string, string]>>;

export declare class EtrangeClient {
  constructor(options: ClientOptions);
  readonly baseUrl: string;
  readonly tokenStore: TokenStore;
  timeoutMs: number;
  call<K extends keyof EtrangeOperations>(name: K, ...args: Parameters<EtrangeOperations[K]>): ReturnType<EtrangeOperations[K]>;
  request(method: string, path: string, options?: { body?: unknown; query?: Record<string, unknown>; headers?: Record<string, string> }): Promise<unknown>;
  isSignedIn(): Promise<boolean>;
  startHeartbeat(sessionId: string, options?: { intervalMs?: number; onError?: (error: EtrangeError) => void }): Heartbeat;
  live(sessionId: string, options?: LiveOptions): LiveConnection;
}
export interface EtrangeClient extends EtrangeOperations {}
