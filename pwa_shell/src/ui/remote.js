// Server-computed views (admin lists, reports, the statutory worklist) that have no offline copy: a
// Lit controller that loads them when the host connects and again when the connection returns, and
// the notice to show while offline or after a failure. Nothing loaded here is stored on the device.
import { html } from 'lit';
import { NetworkError } from '../api.js';
import { t } from '../i18n.js';
import { errorText } from './error-text.js';

export class RemoteQuery {
  /** `load()` returns the value (usually an api() call). */
  constructor(host, load) {
    this.host = host;
    this.load = load;
    this.value = undefined;
    this.error = null;
    this.loading = false;
    this.loadedAt = null;
    this.onOnline = () => this.refresh();
    host.addController(this);
  }

  hostConnected() {
    window.addEventListener('online', this.onOnline);
    this.refresh();
  }

  hostDisconnected() {
    window.removeEventListener('online', this.onOnline);
  }

  async refresh() {
    if (!navigator.onLine) {
      this.error = new NetworkError('offline');
      this.host.requestUpdate();
      return;
    }
    const serial = (this.serial = (this.serial ?? 0) + 1);
    this.loading = true;
    this.host.requestUpdate();
    try {
      const value = await this.load();
      if (serial !== this.serial) return;
      this.value = value;
      this.error = null;
      this.loadedAt = Date.now();
    } catch (error) {
      if (serial !== this.serial) return;
      this.error = error;
    } finally {
      if (serial === this.serial) this.loading = false;
      this.host.requestUpdate();
    }
  }
}

/** "Needs a connection" or the server's error, for a RemoteQuery; '' when all is well. */
export function remoteNotice(remote, offlineKey = 'remote.offline') {
  if (!remote.error) return remote.loading && remote.value === undefined ? html`<p class="muted">${t('common.loading')}</p>` : '';
  if (remote.error instanceof NetworkError) {
    return html`<div class="notice info" role="status" data-testid="offline-notice"><p>${t(offlineKey)}</p></div>`;
  }
  return html`<div class="notice error" role="alert">${errorText(remote.error).map((line) => html`<p>${line}</p>`)}</div>`;
}
