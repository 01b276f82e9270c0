// The sync status line under the header on every signed-in screen: what is saved on this device but
// not yet sent, when the device last synced, the first sync's progress, why syncing stopped, and a
// link to Needs attention when a write was rejected or is in conflict. Text, never colour alone.
import { LitElement, css, html } from 'lit';
import { I18nController, language, t } from '../i18n.js';
import { ROUTES } from '../router.js';
import { SyncStatusController } from '../sync/index.js';

const STOP_REASONS = new Set(['client_mismatch', 'forbidden', 'seq_reused', 'upgrade_required']);

/** "2 min sitten" / "2 min ago" / "för 2 min sedan" in the current language. */
export function timeAgo(timestamp, now = Date.now()) {
  const seconds = Math.round((timestamp - now) / 1000);
  const format = new Intl.RelativeTimeFormat(language(), { numeric: 'auto', style: 'short' });
  if (Math.abs(seconds) < 60) return format.format(0, 'minute');
  if (Math.abs(seconds) < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (Math.abs(seconds) < 86400) return format.format(Math.round(seconds / 3600), 'hour');
  return format.format(Math.round(seconds / 86400), 'day');
}

class KaariSyncStatus extends LitElement {
  static styles = css`
    :host {
      display: block;
      background: var(--kaari-surface);
      border-bottom: 1px solid #d5dadd;
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 1.25rem;
      max-width: 60rem;
      margin: 0 auto;
      padding: 0.4rem 1rem;
      font-size: 0.95rem;
    }
    .state {
      flex: 1 1 20rem;
      margin: 0;
    }
    .pending {
      color: var(--kaari-offline-text);
      font-weight: 600;
    }
    .error {
      color: var(--kaari-error-text);
      font-weight: 600;
    }
    a {
      display: inline-flex;
      align-items: center;
      min-height: var(--kaari-target);
      color: var(--kaari-error-text);
      font-weight: 700;
    }
    button {
      min-height: var(--kaari-target);
      padding: 0.25rem 1rem;
      font: inherit;
      font-weight: 600;
      color: var(--kaari-brand);
      background: var(--kaari-surface);
      border: 2px solid var(--kaari-brand);
      border-radius: var(--kaari-radius);
      cursor: pointer;
    }
    a:focus-visible,
    button:focus-visible {
      outline: 3px solid var(--kaari-focus);
      outline-offset: 2px;
    }
    progress {
      width: 100%;
      height: 0.75rem;
      accent-color: var(--kaari-brand);
    }
    .progress {
      flex: 1 1 100%;
    }
  `;

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.sync = new SyncStatusController(this);
  }

  connectedCallback() {
    super.connectedCallback();
    this.tick = setInterval(() => this.requestUpdate(), 30_000); // "2 min ago" moves on
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.tick);
  }

  stateText(status) {
    const error = status.error;
    if (status.storageFull) return html`<span class="error">${t('sync.storageFull')}</span>`;
    if (error && (error.action === 'stop' || STOP_REASONS.has(error.code) || status.pushStopped)) {
      const code = STOP_REASONS.has(error.code) ? error.code : status.pushStopped ?? 'other';
      return html`<span class="error">${t(`sync.stopped.${code}`, { message: error.message })}</span>`;
    }
    const parts = [];
    if (status.pending) parts.push(html`<span class="pending">${t('sync.pending', { count: status.pending })}</span>`);
    if (status.firstSync) parts.push(t('sync.firstSync', { count: status.firstSync.records }));
    else if (status.syncing) parts.push(t('sync.syncing'));
    else if (error && status.nextRetryAt) parts.push(t('sync.retrying', { when: timeAgo(status.nextRetryAt) }));
    else if (status.lastSyncedAt) parts.push(t('sync.lastSynced', { ago: timeAgo(status.lastSyncedAt) }));
    else if (!status.complete) parts.push(t('sync.never'));
    if (!status.pending && status.lastSyncedAt && !status.syncing) parts.unshift(t('sync.allSent'));
    return parts.flatMap((part, i) => (i ? [' · ', part] : [part]));
  }

  render() {
    const status = this.sync.status;
    if (!status) return '';
    const showProgress = Boolean(status.firstSync) || (status.syncing && !status.complete);
    return html`<div class="bar">
      <p class="state" role="status" data-testid="sync-status">${this.stateText(status)}</p>
      ${status.attention
        ? html`<a href=${ROUTES.attention} data-testid="attention-link">${t('sync.attention', { count: status.attention })}</a>`
        : ''}
      ${status.online && !status.syncing
        ? html`<button type="button" @click=${() => this.sync.engine?.syncNow()}>${t('sync.now')}</button>`
        : ''}
      ${showProgress
        ? html`<div class="progress">
            <progress aria-label=${t('sync.firstSyncLabel')} data-testid="sync-progress"></progress>
          </div>`
        : ''}
    </div>`;
  }
}

customElements.define('kaari-sync-status', KaariSyncStatus);
