// A screen's own state in the query string (filters, the open tab), so a reload, the back button and a
// link from a notification all open the same view. Changes replace the history entry: filtering is not
// navigation.
import { onRouteChange } from '../router.js';

/** The current query as a plain object of strings. */
export function queryParams() {
  return Object.fromEntries(new URLSearchParams(window.location.search));
}

/** Set (or, with null or '', remove) query parameters without a navigation. */
export function setQueryParams(changes) {
  const params = new URLSearchParams(window.location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value == null || value === '') params.delete(name);
    else params.set(name, String(value));
  }
  const query = params.toString();
  window.history.replaceState(null, '', window.location.pathname + (query ? `?${query}` : '') + window.location.hash);
}

/**
 * Lit controller for a screen whose tab and filters are in the query string: `params` follows the URL
 * (also when a notification opens the same screen with another query), child views ask for filter
 * changes with a bubbling `filter` event ({detail: {name: value}}), and `tab` / `select()` keep the
 * open tab (the first of `tabs` is the default and leaves the query clean).
 */
export class QueryController {
  constructor(host, tabs) {
    this.host = host;
    this.tabs = tabs;
    this.params = queryParams();
    this.update = () => {
      this.params = queryParams();
      host.requestUpdate();
    };
    host.addEventListener('filter', (event) => {
      event.stopPropagation();
      setQueryParams(event.detail);
      this.update();
    });
    host.addController(this);
  }

  hostConnected() {
    this.unlisten = onRouteChange(this.update);
    this.update();
  }

  hostDisconnected() {
    this.unlisten?.();
  }

  get tab() {
    return this.tabs.includes(this.params.tab) ? this.params.tab : this.tabs[0];
  }

  select(tab) {
    setQueryParams({ tab: tab === this.tabs[0] ? null : tab });
    this.update();
  }
}
