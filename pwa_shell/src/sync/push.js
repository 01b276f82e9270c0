// Push (§3): send the outbox in seq order, in batches of at most 500 mutations and 1 MiB, until it is
// empty. Used by the page's engine and by the service worker's Background Sync, always under the
// user's Web Lock (withSyncLock), so two tabs and the worker never push one outbox at once.
import * as replica from './replica.js';
import { Action, MAX_PUSH_BYTES, MAX_PUSH_MUTATIONS, PROTOCOL, SCHEMA_VERSION, SyncError, jsonBytes, post } from './transport.js';

const PUSH_PATH = '/api/sync/v1/push';
const OVERHEAD = 1024; // bytes of a push body besides its mutations (generous)
const MAX_SEQ_GAPS = 3;

/** Run `work` holding this user's sync lock (shared by tabs and the service worker). */
export function withSyncLock(userId, work) {
  if (!globalThis.navigator?.locks) return work();
  return navigator.locks.request(`kaari-sync-${userId}`, work);
}

export function envelope(m) {
  return { id: m.id, seq: m.seq, name: m.name, version: m.version, args: m.args, client_time: m.client_time, base_version: m.base_version };
}

function nextBatch(entries, maxCount) {
  const batch = [];
  let size = OVERHEAD;
  for (const entry of entries.slice(0, maxCount)) {
    size += jsonBytes(envelope(entry)) + 1;
    if (batch.length && size > MAX_PUSH_BYTES) break;
    batch.push(entry);
  }
  return batch;
}

/**
 * Send the outbox of `db` until it is empty or an error stops us (a SyncError, thrown). Returns
 * {sent, applied, rejected, conflicts, stopped}. `auth`: 'user', or 'device' for a signed-out user's
 * outbox on a shared tablet (each mutation is still authorised as that user).
 */
export async function pushOutbox(db, { auth = 'user', appBuild }) {
  const report = { sent: 0, applied: 0, rejected: 0, conflicts: 0, stopped: null };
  const state = await replica.readState(db);
  if (state.push_stopped) return { ...report, stopped: state.push_stopped };
  let maxCount = MAX_PUSH_MUTATIONS;
  let gaps = 0;
  for (;;) {
    const batch = nextBatch(await replica.unacknowledged(db), maxCount);
    if (!batch.length) return report;
    await replica.markSent(db, batch.map((m) => m.seq));
    let response;
    try {
      response = await post(
        PUSH_PATH,
        { protocol: PROTOCOL, client_id: state.client_id, app_build: appBuild, schema_version: SCHEMA_VERSION, mutations: batch.map(envelope) },
        auth,
      );
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      if (error.action === Action.SPLIT && batch.length > 1) {
        maxCount = Math.floor(batch.length / 2);
        continue;
      }
      if (error.action === Action.WIPE) throw error; // the store is gone: write nothing more
      if (error.code === 'seq_reused') await replica.patchState(db, { push_stopped: 'seq_reused', last_error: 'seq_reused' });
      else await replica.patchState(db, { last_error: error.code });
      throw error;
    }
    report.sent += batch.length;
    for (const result of response.results) {
      if (result.status === 'applied') report.applied += 1;
      else if (result.status === 'rejected') report.rejected += 1;
      else report.conflicts += 1;
    }
    await replica.settlePush(db, response.results);
    if (response.error?.code === 'seq_gap') {
      gaps += 1;
      if (gaps > MAX_SEQ_GAPS || response.error.expected_seq == null) {
        throw new SyncError({ status: 200, code: 'protocol_violation', message: 'unrepairable seq_gap' });
      }
      await replica.requeueFrom(db, response.error.expected_seq);
      await replica.patchState(db, { last_error: 'seq_gap' });
      continue;
    }
    if (response.error?.code === 'sign_in_required') {
      // The device credential sent what its signed-out user had queued; the rest waits for their sign-in.
      await replica.patchState(db, { last_error: 'sign_in_required' });
      return { ...report, stopped: 'sign_in_required' };
    }
    if (response.error) throw new SyncError({ status: 200, code: 'protocol_violation', message: response.error.code });
    if (!response.results.length) throw new SyncError({ status: 200, code: 'protocol_violation', message: 'no results' });
  }
}
