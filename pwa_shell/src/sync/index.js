// The app's one sync engine (for the signed-in user), the tablet's flusher (while nobody is signed
// in), and the Lit controllers screens use to read records and the sync status. API: README.md.
import { activateUpdateIfIdle, checkForUpdate, setIdleCheck } from '../sw-update.js';
import { DeviceFlusher } from './flush.js';
import { SyncEngine } from './engine.js';

export { StorageFullError } from './engine.js';
export { attendanceId, uuid4 } from './ids.js';
export { registerMutator } from './mutators.js';
export { isoWithOffset, localDate } from './transport.js';

let engine = null;
let flusher = null;
const lifecycle = new EventTarget(); // 'engine': the current engine changed (started, stopped)

/** The build this page runs ("app-<hash>"), sent with every push and pull. */
export const APP_BUILD = (() => {
  try {
    return new URL(import.meta.url).pathname.split('/').pop().replace(/\.js$/, '') || 'kaari-pwa';
  } catch {
    return 'kaari-pwa';
  }
})();

/** The running engine, or null when nobody is signed in. */
export function currentEngine() {
  return engine;
}

/** Start syncing for a signed-in user (stops any previous engine and the tablet's flusher). */
export async function startSync(session, enrolment) {
  stopSync();
  const started = new SyncEngine({ session, enrolment, appBuild: APP_BUILD, onUpgrade: checkForUpdate });
  engine = started;
  setIdleCheck(() => started.idle());
  started.addEventListener('status', ({ detail }) => {
    if (!detail.syncing && detail.pending === 0) activateUpdateIfIdle();
  });
  await started.start();
  lifecycle.dispatchEvent(new Event('engine'));
  return started;
}

/** Stop syncing (sign-out, revocation). The user's store is left as it is. */
export function stopSync() {
  if (!engine) return;
  engine.stop();
  engine = null;
  setIdleCheck(async () => ({ outboxEmpty: true, syncRunning: false }));
  lifecycle.dispatchEvent(new Event('engine'));
}

/** On an enrolled tablet with nobody signed in, keep sending what signed-out users left unsent. */
export function startDeviceFlush() {
  flusher ??= new DeviceFlusher(APP_BUILD);
  flusher.start();
}

export function stopDeviceFlush() {
  flusher?.stop();
}

/**
 * Lit controller: re-render the host when the sync status changes; `controller.status` is the
 * engine's status object (see engine.js), `controller.engine` the engine (or null).
 */
export class SyncStatusController {
  constructor(host) {
    this.host = host;
    this.onStatus = () => host.requestUpdate();
    this.onEngine = () => {
      this.unbind();
      this.bind();
      host.requestUpdate();
    };
    host.addController(this);
  }

  get engine() {
    return engine;
  }

  get status() {
    return engine?.status ?? null;
  }

  bind() {
    this.bound = engine;
    this.bound?.addEventListener('status', this.onStatus);
  }

  unbind() {
    this.bound?.removeEventListener('status', this.onStatus);
    this.bound = null;
  }

  hostConnected() {
    lifecycle.addEventListener('engine', this.onEngine);
    this.bind();
  }

  hostDisconnected() {
    lifecycle.removeEventListener('engine', this.onEngine);
    this.unbind();
  }
}

/**
 * Lit controller: a live query over the replica. `load(engine)` returns the value (usually
 * `engine.query(type, where)`); it runs when the host connects, when the engine changes, and after
 * every change to one of `types` (record types, or 'outcome'). `controller.value` is the latest
 * result (undefined until the first load). Call `controller.refresh()` to load again.
 */
export class LiveQuery {
  constructor(host, types, load) {
    this.host = host;
    this.types = types;
    this.load = load;
    this.value = undefined;
    this.onChange = ({ detail }) => {
      if (!detail.types || this.types.some((t) => detail.types.has(t))) this.refresh();
    };
    this.onEngine = () => {
      this.unbind();
      this.bind();
    };
    host.addController(this);
  }

  bind() {
    this.bound = engine;
    this.bound?.addEventListener('change', this.onChange);
    this.refresh();
  }

  unbind() {
    this.bound?.removeEventListener('change', this.onChange);
    this.bound = null;
  }

  async refresh() {
    const current = this.bound;
    if (!current) {
      this.value = undefined;
      this.host.requestUpdate();
      return;
    }
    const serial = (this.serial = (this.serial ?? 0) + 1);
    try {
      const value = await this.load(current);
      if (serial !== this.serial || current !== this.bound) return; // a newer load or engine won
      this.value = value;
      this.host.requestUpdate();
    } catch (error) {
      if (!current.stopped) console.warn('Kaari: live query failed', error);
    }
  }

  hostConnected() {
    lifecycle.addEventListener('engine', this.onEngine);
    this.bind();
  }

  hostDisconnected() {
    lifecycle.removeEventListener('engine', this.onEngine);
    this.unbind();
  }
}
