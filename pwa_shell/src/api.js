// fetch() for Kaari's API. Every failure becomes an ApiError carrying the server's JSON error body
// ({code, message, details}, protocol §7), so views can show the server's own message.
//
// - auth 'user': the signed-in user's access token. An expired one (401 token_expired) is refreshed
//   once with the stored refresh token and the call retried; if the server refuses the refresh token the
//   session has ended (unreachable or failing, it is kept for a later try).
// - auth 'device': the shared tablet's device credential (kd_…).
// - 403 device_revoked with wipe: erase every local store, then tell the app (event 'device-wiped').
import { clearSession, getEnrolment, getSession, saveSession, wipeDevice } from './db.js';

/** App-wide notices from the API layer: 'session-ended', 'device-wiped', 'reachability'. */
export const apiEvents = new EventTarget();

export class ApiError extends Error {
  constructor(status, { code = 'error', message = '', details = {}, wipe } = {}, retryAfterSeconds = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details ?? {};
    this.retryAfterSeconds = retryAfterSeconds;
    // device_revoked says {"wipe": true} at the top level (and in details): honour either.
    this.wipe = wipe === true || this.details.wipe === true;
  }

  /** Whole minutes to wait before trying again (429), rounded up; null if the server gave none. */
  get retryAfterMinutes() {
    return this.retryAfterSeconds == null ? null : Math.max(1, Math.ceil(this.retryAfterSeconds / 60));
  }
}

/** The request never got an answer: offline, DNS, connection reset. */
export class NetworkError extends ApiError {
  constructor(cause) {
    super(0, { code: 'network', message: String(cause?.message ?? cause) });
  }
}

let refreshing = null; // one refresh at a time, shared by every call that hit token_expired

/** `headers` are added to the request (the sync engine's X-Client-Time). */
export async function api(path, { method = 'GET', body, auth = 'user', headers = {} } = {}) {
  const first = await send(path, method, body, auth, headers);
  if (first.ok || auth !== 'user' || first.status !== 401 || first.error.code !== 'token_expired') {
    return unwrap(first);
  }
  await refreshSession(first.token);
  return unwrap(await send(path, method, body, auth, headers));
}

async function send(path, method, body, auth, extraHeaders = {}) {
  const headers = { Accept: 'application/json', ...extraHeaders };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = await bearerFor(auth);
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (cause) {
    apiEvents.dispatchEvent(new CustomEvent('reachability', { detail: false }));
    throw new NetworkError(cause);
  }
  apiEvents.dispatchEvent(new CustomEvent('reachability', { detail: true }));
  if (response.ok) {
    try {
      return { ok: true, data: response.status === 204 ? null : await response.json() };
    } catch (cause) {
      throw new NetworkError(cause); // a body cut short: the network's fault, like a reset
    }
  }
  const error = new ApiError(response.status, await errorBody(response), retryAfter(response));
  if (error.status === 403 && error.code === 'device_revoked' && error.wipe) {
    await wipeDevice();
    apiEvents.dispatchEvent(new CustomEvent('device-wiped'));
  }
  return { ok: false, status: response.status, error, token };
}

async function bearerFor(auth) {
  if (auth === 'user') return (await getSession())?.access_token;
  if (auth === 'device') return (await getEnrolment())?.device_credential;
  return null;
}

function unwrap(result) {
  if (result.ok) return result.data;
  throw result.error;
}

async function errorBody(response) {
  try {
    const body = await response.json();
    if (body && typeof body === 'object') return body;
  } catch {
    /* not JSON: a proxy's error page, say */
  }
  return { code: `http_${response.status}`, message: response.statusText };
}

function retryAfter(response) {
  const header = response.headers.get('Retry-After');
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(header); // Retry-After may also be an HTTP date
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/** Trade the stored refresh token for a new pair; when the server refuses it the session is over.
 * `expiredToken` is the access token a call was refused with: when the stored one is already another, a
 * call that was answered later than its siblings has nothing to refresh (a second refresh would only spend
 * a token). */
function refreshSession(expiredToken) {
  refreshing ??= (async () => {
    const session = await getSession();
    if (session && expiredToken && session.access_token !== expiredToken) return null;
    // A NetworkError (no answer, or one cut short) propagates as it is: the stored pair is kept and the
    // caller retries later. The server may have rotated the token without our hearing of it; within its
    // grace window (docs/architecture.md) it takes the old one once more.
    const result = session
      ? await send('/api/auth/refresh', 'POST', { refresh_token: session.refresh_token }, 'none')
      : { ok: false, error: new ApiError(401, { code: 'unauthenticated' }) };
    if (!result.ok) {
      // device_revoked: send() has wiped the device already; 5xx: the server failed, the token is fine.
      if (result.error.code !== 'device_revoked' && result.error.status < 500) {
        await clearSession();
        apiEvents.dispatchEvent(new CustomEvent('session-ended'));
      }
      throw result.error;
    }
    await saveSession(sessionFrom(result.data));
    return result.data;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** The stored form of a TokenResponse. */
export function sessionFrom(tokens) {
  return {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: Date.now() + tokens.expires_in * 1000,
    device_id: tokens.device_id,
    user: tokens.user,
  };
}
