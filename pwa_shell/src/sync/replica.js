// The user's local store, as the reference client's sync_protocol/client/store.py keeps it: the
// replica holds *server* state only (records as pulls delivered them, with versions and scopes, and
// per-scope checksums kept up to date on every change), the outbox holds the user's mutations by
// `seq`, and held outcomes keep every rejection and conflict until the user deals with it.
//
// Each operation is one IndexedDB transaction. A pull page — records, checksums, cookie, last_seq,
// outbox pruning, held outcomes — commits whole or not at all, so a cookie is never saved without the
// data it covers, and applying a page twice gives the same state.
import { ZERO_SUM, adjustSum, uuid4 } from './ids.js';

const STATE = 'sync';
const PAGE_STORES = ['records', 'sums', 'outbox', 'outcomes', 'meta'];

export const UNACKNOWLEDGED = ['pending', 'sent']; // never sent / sent with no answer yet

/** The sync cursor and flags; a new client id the first time. */
export async function readState(db) {
  const tx = db.transaction('meta', 'readwrite');
  let state = await tx.store.get(STATE);
  if (!state) {
    state = newState();
    await tx.store.put(state, STATE);
  }
  await tx.done;
  return state;
}

function newState() {
  return {
    client_id: uuid4(),
    cookie: null,
    last_seq: 0,
    next_seq: 1,
    complete: false, // false until a first sync's last page is stored
    resync_scopes: [],
    push_stopped: null, // 'seq_reused': a client bug, pushing stops for good (reported in health)
    last_error: null,
    last_synced_at: null,
  };
}

export async function patchState(db, patch) {
  const tx = db.transaction('meta', 'readwrite');
  const state = (await tx.store.get(STATE)) ?? newState();
  await tx.store.put({ ...state, ...patch }, STATE);
  await tx.done;
}

// --- the replica -------------------------------------------------------------------------------------

export async function getRecord(db, type, id) {
  return db.get('records', [type, String(id)]);
}

export async function recordsOfType(db, type) {
  return db.getAllFromIndex('records', 'type', type);
}

/** Per-scope {scope, count, sum} of the replica. */
export async function scopeSums(db) {
  return db.getAll('sums');
}

/**
 * Apply one pull page atomically; on the last page compare the scope checksums (§4). Returns the
 * scopes whose count or checksum differs; they are stored as `resync_scopes` for the next pull.
 * `sentResync` are the scopes this pull asked to resync: the server has handled them now.
 */
export async function applyPage(db, page, sentResync = []) {
  const tx = db.transaction(PAGE_STORES, 'readwrite');
  const records = tx.objectStore('records');
  const sumsStore = tx.objectStore('sums');
  const state = (await tx.objectStore('meta').get(STATE)) ?? newState();
  const sums = new Map(); // scope → {count, sum}, read once and written back at the end
  const sumOf = async (scope) => {
    if (!sums.has(scope)) sums.set(scope, (await sumsStore.get(scope)) ?? { count: 0, sum: ZERO_SUM });
    return sums.get(scope);
  };
  const account = async (record, sign) => {
    for (const scope of record.scopes) {
      sums.set(scope, adjustSum(await sumOf(scope), record.type, record.id, record.version, sign));
    }
  };

  if (page.reset) {
    await records.clear();
    await sumsStore.clear();
  }
  for (const op of page.ops) {
    if (op.op === 'put') {
      const old = await records.get([op.type, op.id]);
      if (old) await account(old, -1);
      const record = { type: op.type, id: op.id, version: op.version, scopes: [...new Set(op.scopes)].sort(), data: op.data };
      await records.put(record);
      await account(record, 1);
    } else if (op.op === 'del') {
      const old = await records.get([op.type, op.id]);
      if (old) {
        await account(old, -1);
        await records.delete([op.type, op.id]);
      }
    } else if (op.op === 'purge') {
      for (const record of await records.index('scopes').getAll(op.scope)) {
        const remaining = record.scopes.filter((s) => s !== op.scope);
        if (remaining.length) await records.put({ ...record, scopes: remaining });
        else await records.delete([record.type, record.id]);
      }
      sums.set(op.scope, { count: 0, sum: ZERO_SUM }); // the scope is empty now, whatever was counted
    }
  }
  for (const [scope, entry] of sums) {
    if (entry.count > 0) await sumsStore.put({ scope, ...entry });
    else await sumsStore.delete(scope);
  }

  await settlePull(tx, page);
  let resync = (state.resync_scopes ?? []).filter((s) => !sentResync.includes(s));
  let mismatched = [];
  if (!page.has_more) {
    mismatched = mismatchedScopes(await sumsStore.getAll(), page.scopes ?? {});
    resync = [...new Set([...resync, ...mismatched])].sort();
  }
  await tx.objectStore('meta').put(
    {
      ...state,
      cookie: page.cookie,
      last_seq: page.last_seq,
      complete: !page.has_more,
      resync_scopes: resync,
      ...(page.has_more ? {} : { last_synced_at: Date.now() }),
    },
    STATE,
  );
  await tx.done;
  return mismatched;
}

/** Outcomes of the page are held; every mutation up to last_seq is settled and its effects are in the replica. */
async function settlePull(tx, page) {
  const outbox = tx.objectStore('outbox');
  for (const outcome of page.outcomes ?? []) {
    if (outcome.status === 'applied') continue;
    const entry = await outbox.get(outcome.seq);
    await hold(tx, outcome, entry?.id === outcome.id ? entry : null);
  }
  if (page.last_seq > 0) await outbox.delete(IDBKeyRange.upperBound(page.last_seq));
}

/** Scopes whose local count or checksum differs from the server's summary (last page only). */
export function mismatchedScopes(localSums, serverScopes) {
  const names = Object.keys(serverScopes);
  if (!names.length) return []; // no summary sent: nothing to verify
  const local = new Map(localSums.filter((s) => s.count > 0).map((s) => [s.scope, s]));
  const mismatched = [];
  for (const scope of new Set([...names, ...local.keys()])) {
    const mine = local.get(scope) ?? { count: 0, sum: ZERO_SUM };
    const theirs = serverScopes[scope];
    if (!theirs || mine.count !== theirs.count || mine.sum !== theirs.checksum) mismatched.push(scope);
  }
  return mismatched.sort();
}

// --- the outbox ----------------------------------------------------------------------------------------

/** Append a mutation with the next seq, allocated in the same transaction. */
export async function enqueue(db, { id, name, version = 1, args, client_time, base_version = null }) {
  const tx = db.transaction(['outbox', 'meta'], 'readwrite');
  const meta = tx.objectStore('meta');
  const state = (await meta.get(STATE)) ?? newState();
  const mutation = { seq: state.next_seq, id, name, version, args, client_time, base_version, status: 'pending' };
  await tx.objectStore('outbox').add(mutation);
  await meta.put({ ...state, next_seq: state.next_seq + 1 }, STATE);
  await tx.done;
  return mutation;
}

/** Every outbox entry in seq order (what the optimistic view replays). */
export async function outbox(db) {
  return db.getAll('outbox');
}

/** Entries still to push, in seq order. */
export async function unacknowledged(db) {
  return (await db.getAll('outbox')).filter((m) => UNACKNOWLEDGED.includes(m.status));
}

export async function markSent(db, seqs) {
  const tx = db.transaction('outbox', 'readwrite');
  for (const seq of seqs) {
    const entry = await tx.store.get(seq);
    if (entry) await tx.store.put({ ...entry, status: 'sent' });
  }
  await tx.done;
}

/**
 * Record a push response's results. Rejected entries leave the outbox now (their optimistic effects
 * must disappear) and are held for the user; applied and conflicting ones become 'applied' and leave
 * with the pull that includes their effects, so the view never flickers.
 */
export async function settlePush(db, results) {
  const tx = db.transaction(['outbox', 'outcomes'], 'readwrite');
  const store = tx.objectStore('outbox');
  for (const result of results) {
    let entry = await store.get(result.seq);
    if (entry && entry.id !== result.id) entry = null; // not ours: never drop an entry on another's result
    if (result.status !== 'applied') await hold(tx, result, entry);
    if (!entry) continue;
    if (result.status === 'rejected') await store.delete(entry.seq);
    else await store.put({ ...entry, status: 'applied' });
  }
  await tx.done;
}

/**
 * Answer a seq_gap: resend from expected_seq. If the server lost mutations the outbox no longer holds
 * (a restored backup), the remaining entries are renumbered from expected_seq, keeping their ids.
 */
export async function requeueFrom(db, expectedSeq) {
  const tx = db.transaction(['outbox', 'meta'], 'readwrite');
  const store = tx.objectStore('outbox');
  const entries = (await store.getAll(IDBKeyRange.lowerBound(expectedSeq))).sort((a, b) => a.seq - b.seq);
  const renumber = entries.length > 0 && entries[0].seq !== expectedSeq;
  if (renumber) for (const entry of entries) await store.delete(entry.seq);
  for (const [i, entry] of entries.entries()) {
    await store.put({ ...entry, seq: renumber ? expectedSeq + i : entry.seq, status: 'pending' });
  }
  if (renumber) {
    const meta = tx.objectStore('meta');
    const state = await meta.get(STATE);
    await meta.put({ ...state, next_seq: expectedSeq + entries.length }, STATE);
  }
  await tx.done;
}

/** {depth, oldest client_time} of the entries still to send, for health and the status line. */
export async function outboxStats(db) {
  const entries = await unacknowledged(db);
  const times = entries.map((m) => m.client_time).filter(Boolean).sort();
  return { depth: entries.length, oldest: times[0] ?? null };
}

// --- held outcomes -------------------------------------------------------------------------------------

async function hold(tx, result, entry) {
  const outcomes = tx.objectStore('outcomes');
  if (await outcomes.get(result.id)) return; // held once, whether the push or a pull told us first
  await outcomes.put({
    id: result.id,
    seq: result.seq,
    status: result.status,
    code: result.code ?? null,
    message: result.message ?? null,
    details: result.details ?? null,
    conflict_id: result.conflict_id ?? null,
    name: entry?.name ?? null,
    version: entry?.version ?? 1,
    args: entry?.args ?? null,
    base_version: entry?.base_version ?? null, // a resend keeps it (engine.resend)
    held_at: Date.now(),
  });
}

/** Rejections and conflicts not yet dealt with, in seq order. */
export async function heldOutcomes(db) {
  return (await db.getAll('outcomes')).sort((a, b) => a.seq - b.seq);
}

export async function dismissOutcome(db, id) {
  await db.delete('outcomes', id);
}
