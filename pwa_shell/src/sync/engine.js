// The sync engine of one signed-in user: the page's side of docs/sync-protocol.md, behaving as the
// reference client (sync_protocol/client/client.py) does.
//
// - Writes: mutate() puts a mutation in the outbox (replica.js) and applies it to the optimistic view
//   (view.js) at once; the screen never waits for the network.
// - Sync = push, then pull (until has_more is false; one immediate resync round if a scope's checksum
//   differs). It runs on start (page load), on `online`, on a poke over SSE, on a timer, right after
//   each local write, when the service worker's Background Sync asks, and when a Web Push reaches the
//   worker (wake.js: at once with the page open, first thing on the next start without); one at a time,
//   under the user's Web Lock, so tabs and the worker take turns.
// - Failures follow §7 (transport.js): transient ones back off exponentially with full jitter, 429
//   waits Retry-After, the rest stop with the reason shown. The outbox survives every one of them
//   except device_revoked, on which api.js erases every store on the device.
//
// Screens use the API documented in pwa_shell/README.md ("The sync engine").
import { api, apiEvents } from '../api.js';
import { clearSession, getSession, openUserDb } from '../db.js';
import { flushSignedOutOutboxes } from './flush.js';
import { uuid4 } from './ids.js';
import { mutators } from './mutators.js';
import { pushOutbox, withSyncLock } from './push.js';
import * as replica from './replica.js';
import { Action, MAX_PUSH_BYTES, PROTOCOL, SCHEMA_VERSION, SyncError, isoWithOffset, jsonBytes, post } from './transport.js';
import { OptimisticView } from './view.js';
import { PUSH_MESSAGE, pushHandled, pushPending } from './wake.js';

const PULL_PATH = '/api/sync/v1/pull';
const TICKET_PATH = '/api/sync/v1/events/ticket';
const EVENTS_PATH = '/api/sync/v1/events';
const TIMER_MS = 30_000; // a pull with nothing new is cheap; pokes make most of these redundant
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;
const RECONNECT_MS = 5_000;
const VIEW_LOG_DELAY_MS = 1_500;
const VIEW_LOG_REPEAT_MS = 10 * 60_000; // the same client in the same view is logged again after this
const MAX_VIEW_ENTRIES = 500;

/** A write the device could not store: the browser's storage for this site is full. */
export class StorageFullError extends Error {
  constructor(cause) {
    super('storage_full');
    this.cause = cause;
  }
}

const isQuotaError = (error) => error?.name === 'QuotaExceededError' || error?.inner?.name === 'QuotaExceededError';

export class SyncEngine extends EventTarget {
  /** `session`: the stored sign-in; `enrolment`: the tablet's, or null; `onUpgrade`: look for a new app version. */
  constructor({ session, enrolment = null, appBuild = 'kaari-pwa', onUpgrade = () => {}, random = Math.random }) {
    super();
    this.userId = session.user.id;
    this.user = session.user;
    this.enrolment = enrolment;
    this.appBuild = appBuild;
    this.onUpgrade = onUpgrade;
    this.random = random;
    this.stopped = false;
    this.running = null; // the sync under way, if any
    this.again = false; // asked for while running: run once more after it
    this.attempt = 0; // consecutive failures, for the backoff
    this.retryTimer = null;
    this.status = {
      online: navigator.onLine,
      syncing: false,
      pending: 0, // outbox entries not yet acknowledged by the server
      attention: 0, // held rejections and conflicts
      lastSyncedAt: null,
      firstSync: null, // {pages, records} while a first (or reset) snapshot is being paged
      complete: false,
      error: null, // {code, message, action} of the last failure, until a sync succeeds
      nextRetryAt: null,
      storageFull: false,
      eventsConnected: false,
    };
    this.reasons = []; // why the last syncs ran ('poke', 'write', 'timer', …): for tests and debugging
    this.viewBuffer = [];
    this.viewedAt = new Map(); // "view|client" → when it was last logged
  }

  // --- lifecycle -----------------------------------------------------------------------------------------

  async start() {
    this.db = await openUserDb(this.userId);
    this.state = await replica.readState(this.db);
    this.view = new OptimisticView(this.db, mutators);
    await this.view.rebuild(this.context());
    this.channel = new BroadcastChannel(`kaari-sync-${this.userId}`);
    this.channel.onmessage = () => this.reload(); // another tab (or the worker) changed this store
    this.listeners = {
      online: () => this.setOnline(true),
      offline: () => this.setOnline(false),
      visibilitychange: () => document.visibilityState === 'visible' && this.requestSync('visible'),
      worker: (event) => event.data?.type === PUSH_MESSAGE && this.requestSync('push'),
    };
    window.addEventListener('online', this.listeners.online);
    window.addEventListener('offline', this.listeners.offline);
    document.addEventListener('visibilitychange', this.listeners.visibilitychange);
    navigator.serviceWorker?.addEventListener('message', this.listeners.worker);
    this.timer = setInterval(() => this.requestSync('timer'), TIMER_MS);
    await this.refreshStatus();
    // A push that came while the app was closed: what it announced is pulled before anything else.
    this.pushWaiting = await pushPending(this.userId);
    this.requestSync(this.pushWaiting ? 'push' : 'start');
    this.connectEvents();
    return this;
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.listeners?.online);
    window.removeEventListener('offline', this.listeners?.offline);
    document.removeEventListener('visibilitychange', this.listeners?.visibilitychange);
    navigator.serviceWorker?.removeEventListener('message', this.listeners?.worker);
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.viewTimer);
    clearTimeout(this.reconnectTimer);
    this.events?.close();
    this.channel?.close();
  }

  context() {
    return { userId: this.userId, now: isoWithOffset() };
  }

  setOnline(online) {
    this.status = { ...this.status, online };
    this.emitStatus();
    if (!online) {
      this.events?.close();
      this.events = null;
      return;
    }
    this.attempt = 0; // the network is back: no reason to wait out the old backoff
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.requestSync('online');
    this.connectEvents();
  }

  // --- reading ---------------------------------------------------------------------------------------------

  /** One record as the user sees it (server state with unsent changes on top), or null. */
  get(type, id) {
    return this.view.get(type, id);
  }

  /** Every record of `type` as the user sees it, optionally filtered by `where(data, record)`. */
  async query(type, where = null) {
    const records = await this.view.records(type);
    return where ? records.filter((r) => where(r.data, r)) : records;
  }

  /** The scopes this replica holds (from the per-scope checksums). */
  async scopes() {
    return (await replica.scopeSums(this.db)).map((s) => s.scope);
  }

  /** Rejections and conflicts held for the user, oldest first. */
  outcomes() {
    return replica.heldOutcomes(this.db);
  }

  /** Mutations not yet acknowledged, oldest first: what "not yet sent" counts. */
  unsent() {
    return replica.unacknowledged(this.db);
  }

  // --- writing ---------------------------------------------------------------------------------------------

  /**
   * Queue a mutation and show its effect at once. Returns the outbox entry ({seq, id, …}). Throws the
   * local mutator's error (nothing queued), a StorageFullError, or an Error for arguments too large for
   * one push. `baseVersion`: the version of the record the user was looking at (`manual` fields, §6).
   */
  async mutate(name, args, { version = 1, baseVersion = null } = {}) {
    if (this.stopped) throw new Error('The sync engine has stopped.');
    const draft = { id: uuid4(), name, version, args, client_time: isoWithOffset(), base_version: baseVersion };
    if (jsonBytes(draft) + 1024 > MAX_PUSH_BYTES) throw new Error(`${name}: too large for one push`);
    const writes = await this.view.stage(draft, { userId: this.userId, now: draft.client_time });
    let mutation;
    try {
      mutation = await replica.enqueue(this.db, draft);
    } catch (error) {
      if (isQuotaError(error)) {
        this.status = { ...this.status, storageFull: true };
        this.emitStatus();
        throw new StorageFullError(error);
      }
      throw error;
    }
    this.view.commit(writes);
    this.changed(new Set([...writes.values()].map((w) => w.type)));
    this.requestSync('write');
    this.registerBackgroundSync();
    return mutation;
  }

  /**
   * Log that client data was shown from this device's replica (docs/tablets.md: every view, offline
   * included, is logged and uploaded). Entries are gathered for a moment and queued as one
   * `audit.viewed` mutation; the same client in the same view is logged again after ten minutes.
   */
  recordView(clientIds, view) {
    const now = Date.now();
    for (const clientId of new Set(clientIds)) {
      const key = `${view}|${clientId}`;
      if (!clientId || now - (this.viewedAt.get(key) ?? -Infinity) < VIEW_LOG_REPEAT_MS) continue;
      this.viewedAt.set(key, now);
      this.viewBuffer.push({ client_id: clientId, at: isoWithOffset(), view });
    }
    if (this.viewBuffer.length && !this.viewTimer) {
      this.viewTimer = setTimeout(() => this.flushViews(), VIEW_LOG_DELAY_MS);
    }
  }

  async flushViews() {
    this.viewTimer = null;
    while (this.viewBuffer.length && !this.stopped) {
      const entries = this.viewBuffer.splice(0, MAX_VIEW_ENTRIES);
      await this.mutate('audit.viewed', { entries }).catch((error) => console.warn('Kaari: view log not queued', error));
    }
  }

  /** The user is done with a held rejection or conflict. */
  async dismiss(outcomeId) {
    await replica.dismissOutcome(this.db, outcomeId);
    this.changed(new Set(['outcome']));
  }

  /**
   * Fix and resend: queue the rejected mutation again with corrected `args`, then drop the rejection. It
   * keeps the base version it was sent with: the fix is still based on the record the user saw, so a
   * `manual` field someone changed meanwhile becomes a conflict, as it would have the first time.
   */
  async resend(outcome, args) {
    const mutation = await this.mutate(outcome.name, args, { version: outcome.version ?? 1, baseVersion: outcome.base_version ?? null });
    await this.dismiss(outcome.id);
    return mutation;
  }

  // --- syncing ---------------------------------------------------------------------------------------------

  /** Sync soon. While a sync runs, one more follows it; during a backoff only the retry timer runs it. */
  requestSync(reason = 'manual') {
    if (this.stopped) return this.running ?? Promise.resolve();
    if (this.running) {
      this.again = true;
      this.againReason = reason;
      return this.running;
    }
    if (this.retryTimer && reason !== 'retry' && reason !== 'manual') return Promise.resolve();
    if (!navigator.onLine) return Promise.resolve(); // 'online' brings us back
    this.retryTimer = null;
    this.reasons = [...this.reasons.slice(-19), reason];
    this.running = this.runSync().finally(() => {
      this.running = null;
      if (this.again && !this.stopped && !this.retryTimer) {
        this.again = false;
        this.requestSync(this.againReason ?? 'again');
      }
    });
    return this.running;
  }

  /** Sync now and wait for it (tests and "Sync now" buttons). */
  syncNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    return this.requestSync('manual');
  }

  async runSync() {
    this.status = { ...this.status, syncing: true };
    this.emitStatus();
    try {
      await withSyncLock(this.userId, async () => {
        await this.push();
        await this.pull();
      });
      if (this.enrolment) await flushSignedOutOutboxes({ exceptUserId: this.userId, appBuild: this.appBuild });
      this.attempt = 0;
      if (this.pushWaiting) {
        this.pushWaiting = false;
        await pushHandled(this.userId);
      }
      this.status = { ...this.status, error: null, nextRetryAt: null };
    } catch (error) {
      if (!(error instanceof SyncError)) console.error('Kaari: sync failed', error);
      if (!this.stopped) this.failed(error);
    } finally {
      this.status = { ...this.status, syncing: false };
      if (!this.stopped) await this.refreshStatus();
    }
  }

  async push() {
    try {
      const report = await pushOutbox(this.db, { auth: 'user', appBuild: this.appBuild });
      if (report.rejected || report.conflicts) {
        await this.view.rebuild(this.context()); // the effects of rejected mutations disappear
        this.changed(null);
      }
    } catch (error) {
      // A client bug (seq_reused) stops pushing for good, but the data still comes down.
      if (error?.code !== 'seq_reused') throw error;
      this.status = { ...this.status, error: { code: error.code, message: error.message, action: Action.STOP } };
    }
  }

  async pull() {
    let resynced = false;
    for (;;) {
      const state = await replica.readState(this.db);
      const first = !state.complete;
      const page = await post(PULL_PATH, {
        protocol: PROTOCOL,
        client_id: state.client_id,
        cookie: state.cookie,
        schema_version: SCHEMA_VERSION,
        resync_scopes: state.resync_scopes,
        health: await this.health(state),
      });
      let mismatched;
      try {
        mismatched = await replica.applyPage(this.db, page, state.resync_scopes);
      } catch (error) {
        if (isQuotaError(error)) this.status = { ...this.status, storageFull: true };
        throw error;
      }
      if (first || page.reset) {
        const progress = this.status.firstSync ?? { pages: 0, records: 0 };
        const firstSync = page.has_more ? { pages: progress.pages + 1, records: progress.records + page.ops.length } : null;
        this.status = { ...this.status, firstSync };
      }
      await this.view.rebuild(this.context());
      this.changed(new Set([...page.ops.map((op) => op.type ?? null), ...(page.outcomes?.length ? ['outcome'] : [])].filter(Boolean)));
      this.emitStatus();
      if (page.has_more) continue;
      if (mismatched.length && !resynced) {
        resynced = true; // one immediate round; a scope still wrong is asked again on the next pull
        continue;
      }
      break;
    }
    await replica.patchState(this.db, { last_error: null }); // reported with this pull's health
  }

  async health(state) {
    const { depth, oldest } = await replica.outboxStats(this.db);
    const health = {
      outbox_depth: depth,
      oldest_pending_at: oldest,
      app_build: this.appBuild,
      last_error: state.push_stopped ?? state.last_error ?? null,
    };
    try {
      const { usage, quota } = await navigator.storage.estimate();
      Object.assign(health, { storage_used: Math.round(usage), storage_quota: Math.round(quota) });
    } catch {
      /* not every browser tells */
    }
    return health;
  }

  /** What a failed sync does next (§7). */
  failed(error) {
    const action = error instanceof SyncError ? error.action : Action.RETRY;
    this.status = { ...this.status, error: { code: error.code ?? 'error', message: error.message, action }, firstSync: this.status.firstSync };
    if (action === Action.WIPE || action === Action.REFRESH) {
      this.stop(); // the app shows sign-in; api.js has already erased the device, or ends the session here
      if (action === Action.REFRESH) this.endSession();
      return;
    }
    if (action === Action.STOP) return; // client_mismatch, forbidden: nothing to retry until the user acts
    if (action === Action.UPGRADE) this.onUpgrade();
    this.attempt += 1;
    const delay =
      action === Action.WAIT && error.retryAfterSeconds != null
        ? error.retryAfterSeconds * 1000
        : this.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt); // full jitter
    this.status = { ...this.status, nextRetryAt: Date.now() + delay };
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.requestSync('retry');
    }, delay);
  }

  /**
   * The server no longer accepts this sign-in (signed out elsewhere, the user removed): sign in again.
   * An expired token that could not be refreshed has already ended the session in api.js. The
   * outbox stays in the user's store and is sent after the next sign-in (or by a tablet's credential).
   */
  async endSession() {
    if (!(await getSession())) return;
    await clearSession();
    apiEvents.dispatchEvent(new CustomEvent('session-ended'));
  }

  registerBackgroundSync() {
    // Chromium only; the online/timer/load triggers cover every other browser.
    navigator.serviceWorker?.ready
      .then((registration) => registration.sync?.register('kaari-outbox'))
      .catch(() => {});
  }

  // --- pokes over SSE ----------------------------------------------------------------------------------------

  async connectEvents() {
    if (this.stopped || this.events || this.connecting || !navigator.onLine || !window.EventSource) return;
    this.connecting = true;
    try {
      const { ticket } = await api(TICKET_PATH, { method: 'POST', body: { client_id: this.state.client_id } });
      if (this.stopped || !navigator.onLine) return;
      const source = new EventSource(`${EVENTS_PATH}?ticket=${encodeURIComponent(ticket)}`);
      this.events = source;
      source.addEventListener('poke', () => this.requestSync('poke'));
      source.onopen = () => {
        this.status = { ...this.status, eventsConnected: true };
        this.emitStatus();
        this.requestSync('subscribed'); // a change may have landed before the subscription
      };
      source.onerror = () => {
        // The ticket lives a minute: EventSource's own reconnect would reuse it. Start over instead.
        source.close();
        if (this.events === source) this.events = null;
        this.status = { ...this.status, eventsConnected: false };
        this.emitStatus();
        this.scheduleReconnect();
      };
    } catch {
      this.scheduleReconnect();
    } finally {
      this.connecting = false;
    }
  }

  scheduleReconnect() {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connectEvents(), RECONNECT_MS * (1 + this.random()));
  }

  // --- telling the screens ---------------------------------------------------------------------------------

  /** Another tab or the service worker changed the store: rebase and tell the screens. */
  async reload() {
    if (this.stopped) return;
    await this.view.rebuild(this.context());
    this.changed(null, { broadcast: false });
    await this.refreshStatus();
  }

  /** Records changed; `types` is a Set of record types, or null for "anything may have". */
  changed(types, { broadcast = true } = {}) {
    this.dispatchEvent(new CustomEvent('change', { detail: { types } }));
    if (broadcast) this.channel?.postMessage('changed');
    this.refreshStatus();
  }

  async refreshStatus() {
    if (this.stopped) return;
    const serial = (this.statusSerial = (this.statusSerial ?? 0) + 1);
    const [{ depth }, held, state] = await Promise.all([
      replica.outboxStats(this.db),
      replica.heldOutcomes(this.db),
      replica.readState(this.db),
    ]);
    if (serial !== this.statusSerial || this.stopped) return; // a later refresh has newer figures
    this.state = state;
    this.status = {
      ...this.status,
      online: navigator.onLine,
      pending: depth,
      attention: held.length,
      lastSyncedAt: state.last_synced_at,
      complete: state.complete,
      pushStopped: state.push_stopped,
    };
    this.emitStatus();
  }

  emitStatus() {
    this.dispatchEvent(new CustomEvent('status', { detail: this.status }));
  }

  /** For the update gate: a new app version waits while this is not idle. */
  async idle() {
    const { depth } = await replica.outboxStats(this.db);
    return { outboxEmpty: depth === 0, syncRunning: Boolean(this.running) };
  }
}
