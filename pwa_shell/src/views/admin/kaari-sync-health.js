// Sync health of every device (GET /api/admin/sync-health): devices in trouble first, each replica's
// last sync, outbox depth, oldest unsent write, last error, app build and rejections; and a chart of
// the mutations received per hour (GET /api/admin/sync-health/history). Server figures: online only.
// One device can be picked out (`deviceId`, /admin?device_id=… as the stale-device notification links):
// its rows are marked and scrolled to, with everything the report holds about it below them; an id the
// report does not hold says so.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, t } from '../../i18n.js';
import { chartStyles, stackedBarChart } from '../../ui/charts.js';
import { officeStyles } from '../../ui/office-styles.js';
import { RemoteQuery, remoteNotice } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { timeAgo } from '../kaari-sync-status.js';

const WINDOWS = [24, 168];
const FLAG_CLASS = { stale: 'bad', errors: 'bad', growing_outbox: 'warn', old_build: 'warn' };

class KaariSyncHealth extends LitElement {
  static properties = {
    hours: { state: true },
    onlyTrouble: { state: true },
    deviceId: { attribute: false }, // the device picked out, or null
  };

  static styles = [
    sharedStyles,
    officeStyles,
    chartStyles,
    css`
      td.device {
        min-width: 12rem;
      }
      .flags {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
      }
      code {
        font-size: 0.85rem;
      }
      tr.selected td {
        background: var(--kaari-info-bg);
      }
      tr.selected td.device {
        box-shadow: inset 0.25rem 0 0 var(--kaari-brand);
      }
      td.detail dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.25rem 1rem;
        margin: 0.5rem 0;
      }
      td.detail dd {
        margin: 0;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.hours = 24;
    this.onlyTrouble = false;
    this.deviceId = null;
    this.scrolledTo = null; // the device last scrolled to: once per pick, not on every refresh
    this.report = new RemoteQuery(this, () => api('/api/admin/sync-health'));
    this.history = new RemoteQuery(this, () => api(`/api/admin/sync-health/history?hours=${this.hours}`));
  }

  refresh() {
    this.report.refresh();
    this.history.refresh();
  }

  setHours(hours) {
    this.hours = hours;
    this.history.refresh();
  }

  /** Pick out a device (null: none); the admin screen keeps it in the query string. */
  select(deviceId) {
    this.dispatchEvent(new CustomEvent('filter', { detail: { device_id: deviceId }, bubbles: true, composed: true }));
  }

  updated() {
    const row = this.renderRoot.querySelector('tr.selected');
    if (!row || this.scrolledTo === this.deviceId) return;
    this.scrolledTo = this.deviceId;
    row.scrollIntoView({ block: 'start' });
  }

  renderChart() {
    const hours = this.history.value?.hours;
    if (!hours) return '';
    const week = hours.length > 48;
    const fmt = (iso, options) => new Date(iso).toLocaleString(document.documentElement.lang, options);
    const total = (key) => hours.reduce((s, h) => s + h[key], 0);
    return stackedBarChart({
      id: 'sync-activity',
      testId: 'health-chart',
      title: t('health.chartTitle', { hours: hours.length }),
      summary: t('health.chartSummary', { applied: total('applied'), rejected: total('rejected'), conflicts: total('conflicts') }),
      categories: hours.map((h) => ({
        key: h.hour,
        label: week ? fmt(h.hour, { weekday: 'short', day: 'numeric' }) : fmt(h.hour, { hour: '2-digit' }),
        title: `${fmt(h.hour, { weekday: 'short', day: 'numeric', month: 'numeric', hour: '2-digit', minute: '2-digit' })} · ${t('health.devicesPushing', { count: h.devices })}`,
      })),
      series: [
        { key: 'applied', label: t('health.applied'), className: 's-brand', values: hours.map((h) => h.applied) },
        { key: 'rejected', label: t('health.rejected'), className: 's-error', values: hours.map((h) => h.rejected) },
        { key: 'conflicts', label: t('health.conflicts'), className: 's-warn', values: hours.map((h) => h.conflicts) },
      ],
    });
  }

  renderReplica(device, replica, first, span) {
    const r = replica?.reported ?? {};
    const when = (iso) => (iso ? html`<span title=${new Date(iso).toLocaleString()}>${timeAgo(Date.parse(iso))}</span>` : '–');
    const selected = device.id === this.deviceId;
    return html`<tr data-testid="health-row" data-device=${device.name} data-device-id=${device.id} data-replica=${replica?.client_id ?? ''}
      class=${selected ? 'selected' : ''}>
      ${first
        ? html`<td class="device" rowspan=${span}>
            <button type="button" class="link" aria-pressed=${device.id === this.deviceId ? 'true' : 'false'}
              aria-label=${t('health.showDevice', { name: device.name })} @click=${() => this.select(device.id === this.deviceId ? null : device.id)}>
              <strong>${device.name}</strong></button><br /><span class="muted">${t(`health.kind.${device.kind}`)}${device.unit_code ? ` · ${device.unit_code}` : ''}</span>
            <div class="flags">
              ${device.revoked ? html`<span class="badge bad">${t('health.revoked')}</span>` : ''}
              ${device.flags.map((f) => html`<span class="badge ${FLAG_CLASS[f] ?? 'info'}" data-testid="flag">${t(`health.flag.${f}`)}</span>`)}
              ${!device.flags.length && !device.revoked ? html`<span class="badge good">${t('health.ok')}</span>` : ''}
            </div>
          </td>`
        : ''}
      ${replica
        ? html`<td>${replica.user.display_name}<br /><span class="muted">${replica.user.username}</span></td>
            <td>${when(replica.last_pull_at)}</td>
            <td>${when(replica.last_push_at)}</td>
            <td class="num" data-testid="outbox-depth">${r.outbox_depth ?? '–'}</td>
            <td>${r.oldest_pending_at ? when(r.oldest_pending_at) : '–'}</td>
            <td class="num">${replica.rejected_last_day}</td>
            <td>${r.last_error ? html`<span class="badge bad">${r.last_error}</span>` : '–'}</td>
            <td><code>${replica.app_build ?? '–'}</code></td>`
        : html`<td colspan="8" class="muted">${t('health.noReplica')}</td>`}
    </tr>`;
  }

  /** Everything the report holds about the picked-out device, as a row under its own rows. */
  renderDetail(device) {
    const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
    return html`<tr data-testid="device-detail">
      <td colspan="9" class="detail">
        <h3 id="device-detail-title">${t('health.detailTitle', { name: device.name })}</h3>
        ${device.revoked ? html`<p class="notice error" data-testid="device-revoked">${t('health.revokedNotice', { when: when(device.revoked_at) })}</p>` : ''}
        <dl aria-labelledby="device-detail-title">
          <dt>${t('health.kindLabel')}</dt><dd>${t(`health.kind.${device.kind}`)}${device.unit_code ? ` · ${device.unit_code}` : ''}</dd>
          <dt>${t('health.lastSeen')}</dt><dd>${when(device.last_seen_at)}</dd>
          <dt>${t('health.flags')}</dt><dd>${device.flags.length ? device.flags.map((f) => t(`health.flag.${f}`)).join(', ') : t('health.ok')}</dd>
        </dl>
        ${device.clients.map((c) => {
          const r = c.reported ?? {};
          return html`<dl data-testid="replica-detail" data-replica=${c.client_id}>
            <dt>${t('health.user')}</dt><dd>${c.user.display_name} (${c.user.username})</dd>
            <dt>${t('health.lastPull')}</dt><dd>${when(c.last_pull_at)}</dd>
            <dt>${t('health.lastPush')}</dt><dd>${when(c.last_push_at)}</dd>
            <dt>${t('health.outbox')}</dt><dd data-testid="detail-outbox">${r.outbox_depth ?? '–'}</dd>
            <dt>${t('health.oldestPending')}</dt><dd>${when(r.oldest_pending_at)}</dd>
            <dt>${t('health.lastError')}</dt><dd data-testid="detail-error">${r.last_error ?? '–'}</dd>
            <dt>${t('health.build')}</dt><dd><code data-testid="detail-build">${c.app_build ?? '–'}</code></dd>
            <dt>${t('health.totals')}</dt>
            <dd data-testid="detail-totals">${t('health.totalsText', { applied: c.applied, rejected: c.rejected, conflicts: c.conflicts, day: c.rejected_last_day })}</dd>
            <dt>${t('health.clockSkew')}</dt><dd>${c.clock_skew_ms == null ? '–' : t('health.seconds', { count: Math.round(c.clock_skew_ms / 1000) })}</dd>
            <dt>${t('health.checksumMismatches')}</dt><dd>${c.checksum_mismatches}</dd>
          </dl>`;
        })}
        <button type="button" class="secondary small" @click=${() => this.select(null)}>${t('health.showAll')}</button>
      </td>
    </tr>`;
  }

  renderDevice(device) {
    const rows = device.clients.length
      ? device.clients.map((replica, i) => this.renderReplica(device, replica, i === 0, device.clients.length))
      : [this.renderReplica(device, null, true, 1)];
    return device.id === this.deviceId ? [...rows, this.renderDetail(device)] : rows;
  }

  render() {
    const report = this.report.value;
    // The picked-out device shows whatever the filter says.
    const devices = (report?.devices ?? []).filter((d) => !this.onlyTrouble || d.flags.length || d.id === this.deviceId);
    const missing = report && this.deviceId && !report.devices.some((d) => d.id === this.deviceId);
    const trouble = (report?.devices ?? []).filter((d) => d.flags.length && !d.revoked).length;
    return html`<section aria-labelledby="health-title">
      <div class="top">
        <h2 id="health-title">${t('health.title')}</h2>
        <div class="actions">
          ${WINDOWS.map(
            (h) => html`<button type="button" class="secondary small" aria-pressed=${this.hours === h ? 'true' : 'false'} @click=${() => this.setHours(h)}>
              ${t(`health.window.${h}`)}
            </button>`,
          )}
          <button type="button" class="secondary small" @click=${() => this.refresh()} ?disabled=${this.report.loading}>${t('admin.refresh')}</button>
        </div>
      </div>
      ${remoteNotice(this.report, 'admin.offline')}
      ${report
        ? html`<div class="stats" role="status">
            <p><strong>${report.devices.length}</strong> ${t('health.devices', { count: report.devices.length })}</p>
            <p><strong data-testid="trouble-count">${trouble}</strong> ${t('health.inTrouble', { count: trouble })}</p>
            <p>${t('health.newestBuild')}: <code>${report.newest_build ?? '–'}</code></p>
          </div>`
        : ''}
      ${missing
        ? html`<div class="notice error" role="alert" data-testid="device-not-found">
            <p>${t('health.notFound', { id: this.deviceId })}</p>
            <button type="button" class="secondary small" @click=${() => this.select(null)}>${t('health.showAll')}</button>
          </div>`
        : ''}
      ${this.renderChart()}
      ${report
        ? html`<label class="check"><input type="checkbox" .checked=${this.onlyTrouble} @change=${(e) => (this.onlyTrouble = e.target.checked)} />
              ${t('health.onlyTrouble')}</label>
            <div class="scroll" tabindex="0" role="region" aria-label=${t('health.title')}>
              <table class="data" data-testid="health-table">
                <thead>
                  <tr>
                    <th scope="col">${t('health.device')}</th>
                    <th scope="col">${t('health.user')}</th>
                    <th scope="col">${t('health.lastPull')}</th>
                    <th scope="col">${t('health.lastPush')}</th>
                    <th scope="col" class="num">${t('health.outbox')}</th>
                    <th scope="col">${t('health.oldestPending')}</th>
                    <th scope="col" class="num">${t('health.rejectedDay')}</th>
                    <th scope="col">${t('health.lastError')}</th>
                    <th scope="col">${t('health.build')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${devices.map((device) => this.renderDevice(device))}
                </tbody>
              </table>
            </div>
            <p class="muted">${t('health.staleNote', { minutes: report.stale_after_minutes })}</p>`
        : ''}
    </section>`;
  }
}

customElements.define('kaari-sync-health', KaariSyncHealth);
