// Routing by location.pathname with the History API. The server answers every app path with
// index.html (and so does the service worker offline), so deep links such as /enrol work. A screen may
// keep its own state in the query string (/kotas?tab=queue): navigate() keeps it, listeners get the path.

export const ROUTES = { home: '/', signIn: '/sign-in', enrol: '/enrol', attention: '/huomio', counsellor: '/ohjaaja' };
const listeners = new Set();

export function currentPath() {
  return window.location.pathname.replace(/\/+$/, '') || '/';
}

/** Go to `target`, a path with an optional query string and hash. */
export function navigate(target, { replace = false } = {}) {
  const url = new URL(target, window.location.href);
  const here = window.location;
  if (url.pathname + url.search + url.hash === here.pathname + here.search + here.hash) return;
  window.history[replace ? 'replaceState' : 'pushState'](null, '', url.pathname + url.search + url.hash);
  for (const listener of listeners) listener(currentPath());
}

export function onRouteChange(listener) {
  listeners.add(listener);
  const onPop = () => listener(currentPath());
  window.addEventListener('popstate', onPop);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', onPop);
  };
}

/** Handle clicks on same-origin links inside any shadow root without a page load. */
export function interceptLinks(root) {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const anchor = event.composedPath().find((el) => el instanceof HTMLAnchorElement);
    if (!anchor || anchor.target || anchor.origin !== window.location.origin) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search + anchor.hash);
  });
}
