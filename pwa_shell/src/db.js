// IndexedDB through idb. Two kinds of database:
//
// - `kaari-device`: what belongs to this installation, whoever uses it: the tablet's enrolment
//   (device credential and unit), the personal device ids registered per username, and the current
//   sign-in (tokens and user), so a reload offline still knows who is signed in.
// - `kaari-user-<userId>`: one per signed-in user, their own replica: `records` (server state by type
//   and id), `sums` (per-scope checksums), `outbox` (mutations by seq), `outcomes` (rejections and
//   conflicts held for the user) and `meta` (the sync cursor under 'sync', reference data). What is
//   read and written there is in sync/replica.js.
import { deleteDB, openDB } from 'idb';

export const DEVICE_DB = 'kaari-device';
export const USER_DB_PREFIX = 'kaari-user-';
const APP_STORAGE_PREFIX = 'kaari.';
const USER_DB_VERSION = 2;

let deviceDb = null;
const userDbs = new Map();

function openDeviceDb() {
  deviceDb ??= openDB(DEVICE_DB, 1, {
    upgrade(db) {
      db.createObjectStore('state'); // small records under fixed keys: enrolment, session, …
      db.createObjectStore('personal_devices'); // username → device id of this personal device
    },
    blocking() {
      closeAll(); // another tab wants to upgrade or delete: let it
    },
  });
  return deviceDb;
}

export function userDbName(userId) {
  return USER_DB_PREFIX + userId;
}

export function openUserDb(userId) {
  if (!userDbs.has(userId)) {
    userDbs.set(
      userId,
      openDB(userDbName(userId), USER_DB_VERSION, {
        upgrade(db, oldVersion) {
          if (oldVersion < 1) db.createObjectStore('meta'); // the sync cursor, reference data, by name
          if (oldVersion < 2) {
            const records = db.createObjectStore('records', { keyPath: ['type', 'id'] });
            records.createIndex('type', 'type');
            records.createIndex('scopes', 'scopes', { multiEntry: true });
            db.createObjectStore('sums', { keyPath: 'scope' });
            db.createObjectStore('outbox', { keyPath: 'seq' }).createIndex('id', 'id', { unique: true });
            db.createObjectStore('outcomes', { keyPath: 'id' });
          }
        },
        blocking() {
          closeAll();
        },
      }),
    );
  }
  return userDbs.get(userId);
}

async function getState(key) {
  return (await openDeviceDb()).get('state', key);
}

async function putState(key, value) {
  await (await openDeviceDb()).put('state', value, key);
}

async function deleteState(key) {
  await (await openDeviceDb()).delete('state', key);
}

/** The shared tablet's enrolment: {device_id, device_credential, unit_id, name}, or undefined. */
export const getEnrolment = () => getState('enrolment');
export const saveEnrolment = (enrolment) => putState('enrolment', { ...enrolment, enrolled_at: Date.now() });

/** The current sign-in: {access_token, refresh_token, expires_at, device_id, user}, or undefined. */
export const getSession = () => getState('session');
export const saveSession = (session) => putState('session', session);
export const clearSession = () => deleteState('session');

/**
 * Quick-switch PINs of a shared tablet, by user id: {user, salt, hash, iterations, failures, session}
 * (lock.js). `session` holds a switched-away user's sign-in until their PIN brings it back.
 */
export const getPins = async () => (await getState('pins')) ?? {};
export const savePins = (pins) => putState('pins', pins);

export async function getPersonalDeviceId(username) {
  return (await openDeviceDb()).get('personal_devices', username.toLowerCase());
}

export async function savePersonalDeviceId(username, deviceId) {
  await (await openDeviceDb()).put('personal_devices', deviceId, username.toLowerCase());
}

export async function getMeta(userId, key) {
  return (await openUserDb(userId)).get('meta', key);
}

export async function putMeta(userId, key, value) {
  await (await openUserDb(userId)).put('meta', value, key);
}

function closeAll() {
  for (const pending of [deviceDb, ...userDbs.values()]) pending?.then((db) => db.close()).catch(() => {});
  deviceDb = null;
  userDbs.clear();
}

/** The user ids of every replica on this device (a shared tablet keeps signed-out users' outboxes). */
export async function userIdsOnDevice() {
  if (!indexedDB.databases) return [...userDbs.keys()];
  const names = (await indexedDB.databases()).map((d) => d.name ?? '');
  return names.filter((name) => name.startsWith(USER_DB_PREFIX)).map((name) => name.slice(USER_DB_PREFIX.length));
}

/** Erase one user's replica (sign-out on a personal device). */
export async function deleteUserDb(userId) {
  const pending = userDbs.get(userId);
  userDbs.delete(userId);
  if (pending) (await pending).close();
  await deleteDB(userDbName(userId));
}

/**
 * Erase everything the app keeps on this device: every kaari-* database and every kaari.* key in
 * localStorage (a revoked device, protocol §7). The service worker's cache holds only the app's code.
 */
export async function wipeDevice() {
  const names = new Set([DEVICE_DB, ...[...userDbs.keys()].map(userDbName)]);
  if (indexedDB.databases) {
    for (const { name } of await indexedDB.databases()) {
      if (name === DEVICE_DB || name?.startsWith(USER_DB_PREFIX)) names.add(name);
    }
  }
  closeAll();
  await Promise.all([...names].map((name) => deleteDB(name)));
  if (typeof localStorage === 'undefined') return; // in the service worker
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(APP_STORAGE_PREFIX)) localStorage.removeItem(key);
  }
}
