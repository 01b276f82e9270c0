// Routing by location.pathname with the History API. The server answers every app path with
// index.html (and so does the service worker offline), so deep links such as /enrol work.

export const ROUTES = { home: '/', signIn: '/sign-in', enrol: '/enrol', attention: '/huomio', counsellor: '/ohjaaja' };
const listeners = new Set();

export function currentPath() {
  return window.location.pathname.replace(/\/+$/, '') || '/';
}

export function navigate(path, { replace = false } = {}) {
  if (path === currentPath()) return;
  window.history[replace ? 'replaceState' : 'pushState'](null, '', path);
  for (const listener of listeners) listener(path);
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
    navigate(anchor.pathname);
  });
}
