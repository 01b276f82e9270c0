// Outboxes that outlive a sign-in. On a shared tablet a user's replica stays after they sign out, and
// the tablet's device credential sends what they left unsent (protocol §2): each mutation is still
// authorised as that user. The service worker's Background Sync uses the same code when no page is open.
import { getEnrolment, getSession, openUserDb, userIdsOnDevice } from '../db.js';
import { outboxStats } from './replica.js';
import { pushOutbox, withSyncLock } from './push.js';

/** Push every signed-out user's outbox on this tablet with the device credential. */
export async function flushSignedOutOutboxes({ exceptUserId = null, appBuild }) {
  if (!(await getEnrolment())) return 0; // a personal device erases a user's replica at sign-out
  let sent = 0;
  for (const userId of await userIdsOnDevice()) {
    if (userId === exceptUserId) continue;
    const db = await openUserDb(userId);
    if (!(await outboxStats(db)).depth) continue;
    const report = await withSyncLock(userId, () => pushOutbox(db, { auth: 'device', appBuild }));
    sent += report.sent;
  }
  return sent;
}

/** Background Sync with no page open: the signed-in user's outbox, then signed-out users' outboxes. */
export async function flushAllOutboxes(appBuild) {
  const session = await getSession();
  if (session) {
    const db = await openUserDb(session.user.id);
    await withSyncLock(session.user.id, () => pushOutbox(db, { auth: 'user', appBuild }));
  }
  await flushSignedOutOutboxes({ exceptUserId: session?.user.id ?? null, appBuild });
}

/**
 * While nobody is signed in on an enrolled tablet, flush the outboxes left behind: now, when the
 * connection returns, and every `intervalMs`. Errors wait for the next trigger.
 */
export class DeviceFlusher {
  constructor(appBuild, intervalMs = 30_000) {
    this.appBuild = appBuild;
    this.intervalMs = intervalMs;
    this.run = () => {
      if (navigator.onLine) flushSignedOutOutboxes({ appBuild: this.appBuild }).catch(() => {});
    };
  }

  start() {
    if (this.timer) return;
    window.addEventListener('online', this.run);
    this.timer = setInterval(this.run, this.intervalMs);
    this.run();
  }

  stop() {
    window.removeEventListener('online', this.run);
    clearInterval(this.timer);
    this.timer = null;
  }
}
