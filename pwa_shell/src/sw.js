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
/* global __KAARI_BUILD__, __KAARI_PRECACHE__ */
import { flushAllOutboxes } from './sync/flush.js';

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

self.addEventListener('sync', (event) => {
  if (event.tag !== 'kaari-outbox') return;
  event.waitUntil(
    (async () => {
      // Windows showing the app (not a server route such as /healthz opened in a tab).
      const pages = (await self.clients.matchAll({ type: 'window' })).filter(
        (client) => !PASSTHROUGH.some((prefix) => new URL(client.url).pathname.startsWith(prefix)),
      );
      if (pages.length) {
        for (const page of pages) page.postMessage({ type: 'kaari-sync' });
        return;
      }
      // A rejected promise tells the browser to try this sync again later, with its own backoff.
      await self.kaariFlushOutboxes();
    })(),
  );
});

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
