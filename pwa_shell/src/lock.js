// Shared tablets: quick switch between staff with a PIN, and the idle lock (docs/tablets.md; the
// security targets: idle lock ≤ 5 min, PIN lockout after 5 tries).
//
// - A user sets a PIN after a normal sign-in on the tablet. Only a salted PBKDF2-SHA-256 hash (600,000
//   iterations, WebCrypto) is kept, in the device database; the PIN never leaves the device and is
//   checked offline.
// - Switching away keeps the user's sign-in beside their PIN hash, so their PIN brings it back, offline
//   too; their unsent writes are sent by the tablet's credential meanwhile (sync/flush.js).
// - Five wrong PINs in a row erase that user's PIN and kept sign-in: a full sign-in with the password
//   is needed again. Signing out erases them too.
// - The app locks after IDLE_LOCK_MS without input: nothing of the client data is on screen until a
//   PIN (or a password sign-in) opens it. The lock survives a reload.
import { getPins, savePins } from './db.js';

export const PIN_ITERATIONS = 600_000;
export const MAX_PIN_TRIES = 5;
export const PIN_PATTERN = /^\d{4,8}$/;
const IDLE_LOCK_MS = 5 * 60_000;
const IDLE_KEY = 'kaari.idleLockMs'; // tests only: may shorten the idle time, never lengthen it
const LOCKED_KEY = 'kaari.locked';
const ACTIVE_KEY = 'kaari.lastActive';

async function pinHash(pin, salt, iterations) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Set (or replace) the signed-in user's PIN on this tablet. */
export async function setPin(session, pin) {
  if (!PIN_PATTERN.test(pin)) throw new Error('invalid_pin');
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pinHash(pin, salt, PIN_ITERATIONS);
  const { id, username, display_name: displayName } = session.user;
  const pins = await getPins();
  pins[id] = { user: { id, username, display_name: displayName }, salt, hash, iterations: PIN_ITERATIONS, failures: 0, session: null };
  await savePins(pins);
}

export async function hasPin(userId) {
  return Boolean((await getPins())[userId]);
}

/** The users who can switch in with a PIN here: [{id, username, display_name}], by name. */
export async function pinUsers() {
  return Object.values(await getPins())
    .map((entry) => entry.user)
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
}

/** Erase a user's PIN and kept sign-in (sign-out; too many wrong PINs). */
export async function forgetPin(userId) {
  const pins = await getPins();
  if (!(userId in pins)) return;
  delete pins[userId];
  await savePins(pins);
}

/**
 * Check a PIN offline. {ok: true, session} (the kept sign-in, or null for the signed-in user), or
 * {ok: false, remaining} after a wrong one, or {ok: false, lockedOut: true} once the tries are used up
 * (the PIN and kept sign-in are gone), or {ok: false, unknown: true} for a user without a PIN here.
 */
export async function verifyPin(userId, pin) {
  const entry = (await getPins())[userId];
  if (!entry) return { ok: false, unknown: true };
  const hash = await pinHash(pin, entry.salt, entry.iterations);
  const pins = await getPins(); // read again: the hash took a while
  const current = pins[userId];
  if (!current) return { ok: false, unknown: true };
  if (PIN_PATTERN.test(pin) && sameBytes(hash, current.hash)) {
    const session = current.session;
    pins[userId] = { ...current, failures: 0, session: null };
    await savePins(pins);
    return { ok: true, session };
  }
  const failures = current.failures + 1;
  if (failures >= MAX_PIN_TRIES) {
    delete pins[userId];
    await savePins(pins);
    return { ok: false, lockedOut: true };
  }
  pins[userId] = { ...current, failures };
  await savePins(pins);
  return { ok: false, remaining: MAX_PIN_TRIES - failures };
}

/** Keep the signed-in user's sign-in beside their PIN while another user works; false without a PIN. */
export async function keepSession(session) {
  const pins = await getPins();
  const entry = pins[session.user.id];
  if (!entry) return false;
  pins[session.user.id] = { ...entry, session };
  await savePins(pins);
  return true;
}

// --- the idle lock ---------------------------------------------------------------------------------------

export function idleLockMs() {
  const asked = Number(localStorage.getItem(IDLE_KEY));
  return asked >= 500 && asked < IDLE_LOCK_MS ? asked : IDLE_LOCK_MS;
}

export function isLocked() {
  const last = Number(localStorage.getItem(ACTIVE_KEY));
  return localStorage.getItem(LOCKED_KEY) === '1' || (last > 0 && Date.now() - last > idleLockMs());
}

export function setLocked(locked) {
  if (locked) localStorage.setItem(LOCKED_KEY, '1');
  else {
    localStorage.removeItem(LOCKED_KEY);
    localStorage.setItem(ACTIVE_KEY, String(Date.now()));
  }
}

const ACTIVITY = ['pointerdown', 'keydown', 'touchstart', 'wheel'];

/** Calls `onIdle` after idleLockMs() without input; the time of the last input survives a reload. */
export class IdleWatcher {
  constructor(onIdle) {
    this.onIdle = onIdle;
    this.saved = 0;
    this.activity = () => this.arm();
  }

  start() {
    for (const type of ACTIVITY) window.addEventListener(type, this.activity, { capture: true, passive: true });
    this.arm();
  }

  stop() {
    for (const type of ACTIVITY) window.removeEventListener(type, this.activity, { capture: true });
    clearTimeout(this.timer);
  }

  arm() {
    clearTimeout(this.timer);
    const now = Date.now();
    if (now - this.saved > 1000) {
      this.saved = now; // at most once a second: input is frequent, storage writes need not be
      localStorage.setItem(ACTIVE_KEY, String(now));
    }
    this.timer = setTimeout(this.onIdle, idleLockMs());
  }
}
