// Protocol requests (push, pull, the events ticket) and what the client does about each error (§7).
//
// api.js already refreshes an expired access token once, and erases the device on device_revoked.
// Here every failure becomes a SyncError carrying its `action`, the same table as the reference
// client's sync_protocol/errors.py; the engine acts on the action, never on raw status codes.
import { ApiError, NetworkError, api } from '../api.js';

export const PROTOCOL = 1;
export const SCHEMA_VERSION = 1;
export const MAX_PUSH_MUTATIONS = 500;
export const MAX_PUSH_BYTES = 1024 * 1024;

export const Action = Object.freeze({
  RETRY: 'retry', // transient: back off with jitter and try again
  REFRESH: 'refresh', // the sign-in ended: sign in again; the outbox is kept
  WIPE: 'wipe', // device revoked: api.js has erased every store
  STOP: 'stop', // client_mismatch, forbidden, seq_reused: stop and show the reason
  SPLIT: 'split', // 413: halve the batch
  WAIT: 'wait', // 429: wait Retry-After
  UPGRADE: 'upgrade', // 426: update the app; the outbox is kept and sent after
  FIX: 'fix', // any other 4xx: a client bug; retrying the same request cannot help soon
});

const BY_CODE = {
  token_expired: Action.REFRESH,
  unauthenticated: Action.REFRESH,
  device_revoked: Action.WIPE,
  client_mismatch: Action.STOP,
  forbidden: Action.STOP,
  seq_reused: Action.STOP,
  too_large: Action.SPLIT,
  upgrade_required: Action.UPGRADE,
  rate_limited: Action.WAIT,
};
const BY_STATUS = { 401: Action.REFRESH, 403: Action.STOP, 409: Action.STOP, 413: Action.SPLIT, 426: Action.UPGRADE, 429: Action.WAIT };

export class SyncError extends Error {
  constructor(cause) {
    super(cause.message || cause.code);
    this.status = cause.status ?? 0;
    this.code = cause.code ?? 'network';
    this.details = cause.details ?? {};
    this.retryAfterSeconds = cause.retryAfterSeconds ?? null;
    this.action = actionFor(cause);
  }
}

function actionFor(error) {
  if (error instanceof NetworkError) return Action.RETRY;
  if (error.code in BY_CODE) return BY_CODE[error.code];
  if (error.status >= 500 || error.status === 408) return Action.RETRY;
  return BY_STATUS[error.status] ?? Action.FIX;
}

/** ISO 8601 with the device's own offset: "2026-11-22T08:05:12.123+02:00". */
export function isoWithOffset(date = new Date()) {
  const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/** The device's calendar date, YYYY-MM-DD. */
export function localDate(date = new Date()) {
  return isoWithOffset(date).slice(0, 10);
}

/** POST a protocol request; `auth` is 'user' (the signed-in user) or 'device' (a tablet flushing). */
export async function post(path, body, auth = 'user') {
  try {
    // X-Client-Time lets the server record the device's clock skew for the sync-health view.
    return await api(path, { method: 'POST', body, auth, headers: { 'X-Client-Time': isoWithOffset() } });
  } catch (error) {
    if (error instanceof ApiError) throw new SyncError(error);
    throw error;
  }
}

/** Bytes of a value as JSON, to keep a push under the 1 MiB limit. */
export function jsonBytes(value) {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}
