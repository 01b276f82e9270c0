// Registers the service worker and gates its updates.
//
// A new build's worker installs in the background and then waits. It is told to take over
// (postMessage SKIP_WAITING) only when the app says it is idle: the outbox is empty and no sync is
// running, so no queued write is ever handed to code of another version mid-flight. The sync engine
// plugs its real answer in with setIdleCheck() (sync/index.js); with nobody signed in the outbox
// counts as empty.

let idleCheck = async () => ({ outboxEmpty: true, syncRunning: false });
let registration = null;
let updateRequested = false;

/** The sync engine tells us how to ask whether it is idle. */
export function setIdleCheck(check) {
  idleCheck = check;
}

/** A new version is installed and waiting for the app to be idle. */
export function updateWaiting() {
  return Boolean(registration?.waiting && navigator.serviceWorker.controller);
}

/**
 * Activate a waiting new version if the app is idle. Call it whenever the app may have become idle
 * (after each sync, when the outbox drains). Returns true if the update was started.
 */
export async function activateUpdateIfIdle() {
  const waiting = registration?.waiting;
  // No controller means first install: that worker activates on its own; there is nothing to gate.
  if (!waiting || !navigator.serviceWorker.controller) return false;
  const { outboxEmpty, syncRunning } = await idleCheck();
  if (!outboxEmpty || syncRunning) return false;
  updateRequested = true;
  waiting.postMessage({ type: 'SKIP_WAITING' });
  return true;
}

/** Look for a new version now (the server answered 426 upgrade_required, say). */
export function checkForUpdate() {
  registration?.update().catch(() => {});
}

/** Messages from the worker: {type: 'kaari-sync'} when Background Sync fires with a page open. */
export function onWorkerMessage(listener) {
  navigator.serviceWorker?.addEventListener('message', (event) => listener(event.data ?? {}));
}

export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return null;
  // Reload once the new worker controls the page, so page and worker run the same build. Only for an
  // update we asked for: the first install's clients.claim() also fires controllerchange.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (updateRequested) window.location.reload();
  });
  registration = await navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' });
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing;
    installing?.addEventListener('statechange', () => {
      if (installing.state === 'installed') activateUpdateIfIdle();
    });
  });
  // Look for a new version when the connection returns; browsers also check on navigation.
  window.addEventListener('online', () => registration.update().catch(() => {}));
  await activateUpdateIfIdle();
  return registration;
}
