// Kaari's service worker: keeps the app shell (index.html and the built assets) available offline.
//
// - The precache list and build id are injected by build.mjs, so every build gets its own cache.
// - It never calls skipWaiting() by itself: a new version waits until the page, seeing an empty outbox
//   and no sync running, posts {type: 'SKIP_WAITING'} (see src/sw-update.js). The page and the worker
//   then always belong to the same build.
// - /api/ is never touched: the app's IndexedDB replica is the offline store, not this cache.
// - Background Sync ('kaari-outbox', registered after each local write): with a page open the page's
//   engine syncs; with none, the worker pushes the outboxes itself (sync/flush.js), under the same
//   Web Lock as the page, so an outbox is never pushed twice at once.
// - Web Push (payload: docs/notifications.md): shows the notification, and wakes the sync engine (the push
//   is a hint; the data comes by pull): the open pages pull now; with none open, the next start pulls
//   first (sync/wake.js). A click opens or focuses the app at the notification's view (notification-links.js).
// - pushsubscriptionchange: the push service replaced the subscription; if the user had switched push on,
//   subscribe again and tell the server (push-subscription.js).
/* global __KAARI_BUILD__, __KAARI_PRECACHE__ */
import { appUrl } from './notification-links.js';
import { resubscribe } from './push-subscription.js';
import { flushAllOutboxes } from './sync/flush.js';
import { PUSH_MESSAGE, rememberPush } from './sync/wake.js';

const BUILD = __KAARI_BUILD__;
const PRECACHE = __KAARI_PRECACHE__;
const CACHE_PREFIX = 'kaari-shell-';
const CACHE = CACHE_PREFIX + BUILD;
const SHELL = '/index.html';
// Server routes that are not part of the app: always straight to the network.
const PASSTHROUGH = ['/api/', '/schema', '/healthz', '/readyz', '/metrics'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      // cache: 'reload' skips the HTTP cache so a stale index.html never lands in a new build's cache.
      cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))),
    ),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
      // Take the page that registered us on first install, so it works offline without a reload.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
});

/** What Background Sync does with no page open (also reachable from the browser tests and DevTools). */
self.kaariFlushOutboxes = () => flushAllOutboxes(BUILD);

/** Windows showing the app (not a server route such as /healthz opened in a tab). */
async function appPages() {
  return (await self.clients.matchAll({ type: 'window' })).filter(
    (client) => !PASSTHROUGH.some((prefix) => new URL(client.url).pathname.startsWith(prefix)),
  );
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'kaari-outbox') return;
  event.waitUntil(
    (async () => {
      const pages = await appPages();
      if (pages.length) {
        for (const page of pages) page.postMessage({ type: 'kaari-sync' });
        return;
      }
      // A rejected promise tells the browser to try this sync again later, with its own backoff.
      await self.kaariFlushOutboxes();
    })(),
  );
});

self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data?.json() ?? {};
  } catch {
    // Not our JSON (a push service's test message): still shown, still a reason to sync.
  }
  event.waitUntil(Promise.all([showPush(payload), wakeSync(payload)]));
});

async function showPush(payload) {
  const options = {
    body: typeof payload.body === 'string' ? payload.body : '',
    // What the click needs: the app's path and the notification's id. Never shown.
    data: { id: payload.id ?? null, kind: payload.kind ?? null, url: payload.url ?? '/', ids: payload.ids ?? {} },
    icon: '/icons/icon-192.png',
  };
  if (payload.tag) {
    options.tag = payload.tag; // a newer one of the same subject replaces the older on screen
    options.renotify = Boolean(payload.renotify);
  }
  try {
    await self.registration.showNotification(payload.title || 'Kaari', options);
  } catch (error) {
    // No permission to show (revoked since subscribing): the sync below still runs.
    console.warn('Kaari: notification not shown', error);
  }
}

async function wakeSync(payload) {
  const pages = await appPages();
  if (pages.length) {
    for (const page of pages) page.postMessage({ type: PUSH_MESSAGE, id: payload.id ?? null, kind: payload.kind ?? null });
    return;
  }
  await rememberPush(payload);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const opening = openApp(appUrl(event.notification.data ?? {}));
  // Only the browser's own click can extend the event: a script-made one (the browser test's click, as no
  // automation can click a notification) throws on waitUntil, after the opening above has started.
  if (event.isTrusted) event.waitUntil(opening);
});

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(
    resubscribe(self.registration, event.newSubscription).catch((error) => {
      // Offline or signed out: the switch shows "off" and the user switches it on again.
      console.warn('Kaari: could not subscribe again', error);
    }),
  );
});

/** Focus an open page and take it to `url` (a path of this app, from appUrl), or open one. */
async function openApp(url) {
  const target = new URL(url || '/', self.location.origin);
  const path = target.origin === self.location.origin ? target.pathname + target.search : '/';
  const [page] = await appPages();
  if (!page) return self.clients.openWindow(path);
  // focus() needs the click's user activation; navigate() does not, so a page that may not be focused
  // (the activation timed out, or the click was not the user's) still goes to the view.
  const focused = await page.focus().catch(() => page);
  return focused.navigate(path).catch(() => focused);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (PASSTHROUGH.some((prefix) => url.pathname.startsWith(prefix))) return;

  if (request.mode === 'navigate') {
    // App shell: every navigation (deep links included) gets this build's index.html, so the page
    // always matches the active worker. Updates arrive through the worker, not the navigation.
    event.respondWith(fromCacheOrNetwork(SHELL, request));
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith(fromCacheOrNetwork(url.pathname, request));
  }
});

async function fromCacheOrNetwork(key, request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  return cached ?? fetch(request);
}
