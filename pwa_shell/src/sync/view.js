// The optimistic view: server state (the replica) with the outbox re-applied on top, as in the
// reference client's sync_protocol/client/view.py.
//
// Two layers. The replica holds server state only. The overlay holds the effects of the outbox,
// computed by each mutation's *local mutator* (mutators.js) in seq order. Reading reads the overlay
// first and falls through to the replica. Rebase is "drop the overlay and replay the outbox": after
// every pull page and after a push that rejected something. Mutators must be deterministic, since
// they run again at every rebase, and must read only through the LocalTx they are given.
import * as replica from './replica.js';

const DELETED = Symbol('deleted');
const key = (type, id) => `${type}\u0000${id}`;
const clone = (value) => (value == null ? value : structuredClone(value));

/** What a mutator sees: reads of the current view, writes that land only if it returns. */
export class LocalTx {
  constructor(view, context) {
    this.view = view;
    this.writes = new Map();
    this.context = context; // {userId, now}: the author and the mutation's client time
  }

  async get(type, id) {
    const k = key(type, id);
    const data = this.writes.has(k) ? this.writes.get(k).data : await this.view.data(type, String(id));
    return data == null || data === DELETED ? null : clone(data);
  }

  put(type, id, data) {
    this.writes.set(key(type, id), { type, id: String(id), data: clone(data) });
  }

  delete(type, id) {
    this.writes.set(key(type, id), { type, id: String(id), data: DELETED });
  }
}

export class OptimisticView {
  constructor(db, mutators) {
    this.db = db;
    this.mutators = mutators;
    this.overlay = new Map(); // key → {type, id, data | DELETED}
    this.errors = new Map(); // seq → message of a mutator that failed during a rebase
  }

  async data(type, id) {
    const k = key(type, id);
    if (this.overlay.has(k)) return this.overlay.get(k).data;
    return (await replica.getRecord(this.db, type, id))?.data ?? null;
  }

  /** Run the mutator of `mutation` against the current view; returns its writes, or throws. */
  async stage(mutation, context) {
    const mutator = this.mutators.get(mutation.name);
    if (!mutator) return new Map(); // no local effect: the server decides, the view shows it after a pull
    const tx = new LocalTx(this, context);
    await mutator(tx, clone(mutation.args));
    return tx.writes;
  }

  commit(writes) {
    for (const [k, write] of writes) this.overlay.set(k, write);
  }

  /** Rebase: drop the overlay and replay the whole outbox on the current server state. */
  async rebuild(context) {
    const entries = await replica.outbox(this.db);
    this.overlay = new Map();
    this.errors = new Map();
    for (const mutation of entries) {
      try {
        this.commit(await this.stage(mutation, { ...context, now: mutation.client_time }));
      } catch (error) {
        // A mutator bug must not stop the rebase of the others; the server decides anyway.
        console.warn(`Kaari: local mutator ${mutation.name} (seq ${mutation.seq}) failed`, error);
        this.errors.set(mutation.seq, String(error?.message ?? error));
      }
    }
  }

  /** One record as the user sees it, or null: {type, id, data, version, scopes, pending}. */
  async get(type, id) {
    const record = await replica.getRecord(this.db, type, String(id));
    const k = key(type, id);
    const data = this.overlay.has(k) ? this.overlay.get(k).data : record?.data;
    if (data == null || data === DELETED) return null;
    return { type, id: String(id), data, version: record?.version ?? null, scopes: record?.scopes ?? [], pending: this.overlay.has(k) };
  }

  /** Every record of `type` in the view, ordered by id. */
  async records(type) {
    const found = new Map();
    for (const record of await replica.recordsOfType(this.db, type)) {
      const k = key(type, record.id);
      const pending = this.overlay.has(k);
      const data = pending ? this.overlay.get(k).data : record.data;
      if (data !== DELETED) found.set(record.id, { ...record, data, pending });
    }
    for (const write of this.overlay.values()) {
      if (write.type === type && !found.has(write.id) && write.data !== DELETED) {
        found.set(write.id, { type, id: write.id, data: write.data, version: null, scopes: [], pending: true });
      }
    }
    return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Types an outbox mutation touched (to tell subscribers what changed). */
  pendingTypes() {
    return new Set([...this.overlay.values()].map((w) => w.type));
  }
}
