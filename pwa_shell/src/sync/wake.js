// Web Push wakes the sync engine. A push is only a hint (docs/notifications.md): the notification record
// and the data it points to arrive by pull. When a push reaches the service worker:
// - with the app open, the worker tells its pages ({type: 'kaari-push'}) and each page's engine pulls now
//   (reason 'push');
// - with no page open, the worker notes it in the signed-in user's replica (meta 'push_pending'), and the
//   next engine to start syncs for it first (reason 'push'), clearing the note once a sync has succeeded.
import { getMeta, getSession, putMeta } from '../db.js';

export const PUSH_MESSAGE = 'kaari-push';
const PENDING = 'push_pending';

/** In the worker, with no page open: the next start of the signed-in user's engine syncs first. */
export async function rememberPush(payload) {
  const session = await getSession();
  if (!session) return false; // nobody signed in: the next sign-in syncs anyway
  await putMeta(session.user.id, PENDING, { at: new Date().toISOString(), id: payload.id ?? null, kind: payload.kind ?? null });
  return true;
}

/** A push arrived while no page was open (kept until `pushHandled`). */
export async function pushPending(userId) {
  return Boolean(await getMeta(userId, PENDING));
}

/** A sync has succeeded since the push: forget it. */
export async function pushHandled(userId) {
  await putMeta(userId, PENDING, null);
}
