// Signing in and out, and enrolling a shared tablet. Views call these; they keep db.js and api.js
// details out of the screens.
import { NetworkError, api, sessionFrom } from './api.js';
import * as db from './db.js';
import { readState } from './sync/replica.js';

/**
 * Sign in. On an enrolled tablet the device credential goes in the Authorization header; elsewhere
 * this browser is a personal device, registered by the server on the user's first sign-in.
 */
export async function signIn(username, password) {
  const enrolment = await db.getEnrolment();
  const body = { username, password };
  if (!enrolment) {
    const deviceId = await db.getPersonalDeviceId(username);
    if (deviceId) body.device_id = deviceId;
  }
  const tokens = await api('/api/auth/login', { method: 'POST', body, auth: enrolment ? 'device' : 'none' });
  if (!enrolment) await db.savePersonalDeviceId(username, tokens.device_id);
  const session = sessionFrom(tokens);
  await db.saveSession(session);
  return session;
}

/**
 * Sign out. The local sign-in ends even if the server cannot be reached (the tokens are gone from the
 * device). A personal device also erases the user's replica; a shared tablet keeps it so the device
 * credential can still flush that user's outbox (protocol §2).
 */
export async function signOut(session) {
  try {
    // What this user has queued here: the tablet's device credential may send it after they leave, and
    // nothing queued later (protocol §2).
    const queued = session ? await queuedReplica(session.user.id) : null;
    await api('/api/auth/logout', { method: 'POST', body: queued ? { replicas: [queued] } : undefined });
  } catch {
    /* offline or already ended: nothing more to do on the server */
  }
  await db.clearSession();
  if (session && !(await db.getEnrolment())) await db.deleteUserDb(session.user.id);
}

async function queuedReplica(userId) {
  const state = await readState(await db.openUserDb(userId));
  return { client_id: state.client_id, last_seq: state.next_seq - 1 };
}

/** Trade an admin's one-time code for this tablet's device credential and keep it. */
export async function enrol(code) {
  const device = await api('/api/devices/enroll', { method: 'POST', body: { code: code.trim() }, auth: 'none' });
  await db.saveEnrolment(device); // stored first: the reference call below authenticates with it
  try {
    const reference = await api('/api/reference', { auth: 'device' });
    const unitLabels = reference.units.find((u) => u.id === device.unit_id)?.labels ?? null;
    await db.saveEnrolment({ ...device, unit_labels: unitLabels });
  } catch {
    /* the unit's name is a nicety; the enrolment itself succeeded */
  }
  return db.getEnrolment();
}

/** Reference data for the user: fresh from the server when reachable, else the stored copy. */
export async function loadReference(userId) {
  try {
    const reference = await api('/api/reference');
    await db.putMeta(userId, 'reference', { ...reference, fetched_at: Date.now() });
    return reference;
  } catch (error) {
    // Only an unreachable or failing server falls back to the stored copy. Any other answer (a
    // revoked device that was just wiped, an ended session) must not reopen the user's database.
    if (!(error instanceof NetworkError || error.status >= 500)) throw error;
    const stored = await db.getMeta(userId, 'reference');
    if (stored) return stored;
    throw error;
  }
}
