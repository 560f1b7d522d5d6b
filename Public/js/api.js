// The JSON API: one `api()` call for every request, the token kept in localStorage, and one
// error type whose `reason` is the French sentence the server wrote for people to read.

const TOKEN_KEY = 'etrange.token';
const USER_KEY = 'etrange.user';

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached.
   * @param {string} reason A sentence to show as it is.
   * @param {string|null} field The request field at fault, in the API's spelling.
   */
  constructor(status, reason, field = null) {
    super(reason);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.field = field;
  }

  /** The server could not be reached at all (network down, server restarting). */
  get isNetwork() { return this.status === 0; }
}

export const session = {
  get token() {
    try { return localStorage.getItem(TOKEN_KEY); } catch { return null; }
  },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
  },
  save({ token, user }) {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

let unauthorizedHandler = () => {};

/** Called once when a request made with a token is refused with 401 (expired or revoked). */
export function onUnauthorized(handler) { unauthorizedHandler = handler; }

const GENERIC_REASONS = new Set(['Not Found', 'Forbidden', 'Unauthorized', 'Bad Request', 'Conflict']);

function fallbackReason(status) {
  if (status === 404) return 'Introuvable : cette adresse n’existe pas sur ce serveur.';
  if (status === 401) return 'Votre connexion a expiré : reconnectez-vous.';
  if (status === 403) return 'Vous n’avez pas le droit de faire cela.';
  if (status === 409) return 'L’action est impossible dans l’état actuel : rechargez la page.';
  if (status === 429) return 'Trop de requêtes : patientez un instant avant de réessayer.';
  if (status >= 500) return `Le serveur a rencontré une erreur (code ${status}). Réessayez dans un instant.`;
  return `La requête a échoué (code ${status}).`;
}

/**
 * Calls the API.
 * @param {string} path e.g. `/api/parties`
 * @param {{method?: string, body?: any, auth?: boolean, raw?: boolean, keepalive?: boolean, signal?: AbortSignal}} options
 * @returns {Promise<any>} the decoded JSON, null for 204, the Response itself when `raw`.
 */
export async function api(path, { method = 'GET', body, auth = true, raw = false, keepalive = false, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = session.token;
  const sentToken = auth && token;
  if (sentToken) headers.Authorization = `Bearer ${token}`;

  let response;
  try {
    response = await fetch(path, {
      method, headers, keepalive, signal,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'Impossible de joindre le serveur : la connexion semble perdue.');
  }

  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { /* not JSON: a proxy or a crash */ }
    const serverReason = data && typeof data.reason === 'string' ? data.reason : '';
    const generic = !serverReason || GENERIC_REASONS.has(serverReason);
    const error = new ApiError(response.status, generic ? fallbackReason(response.status) : serverReason,
      data && data.field ? data.field : null);
    if (response.status === 401 && sentToken) unauthorizedHandler(error);
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Every page of a paginated list, up to `limit` items. */
export async function allPages(path, { per = 100, limit = 500, signal } = {}) {
  const items = [];
  const separator = path.includes('?') ? '&' : '?';
  for (let page = 1; items.length < limit; page += 1) {
    const data = await api(`${path}${separator}page=${page}&per=${per}`, { signal });
    items.push(...data.items);
    if (data.items.length < per || items.length >= data.metadata.total) break;
  }
  return items;
}

/** What a person is called on screen. */
export function displayName(person) {
  if (!person) return '';
  return person.display_name || person.username || '';
}
