// Sync health of every device (GET /api/admin/sync-health): devices in trouble first, each replica's
// last sync, outbox depth, oldest unsent write, last error, app build and rejections; and a chart of
// the mutations received per hour (GET /api/admin/sync-health/history). Server figures: online only.
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
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.hours = 24;
    this.onlyTrouble = false;
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
    return html`<tr data-testid="health-row" data-device=${device.name} data-replica=${replica?.client_id ?? ''}>
      ${first
        ? html`<td class="device" rowspan=${span}>
            <strong>${device.name}</strong><br /><span class="muted">${t(`health.kind.${device.kind}`)}${device.unit_code ? ` · ${device.unit_code}` : ''}</span>
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

  render() {
    const report = this.report.value;
    const devices = (report?.devices ?? []).filter((d) => !this.onlyTrouble || d.flags.length);
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
                  ${devices.map((device) =>
                    device.clients.length
                      ? device.clients.map((replica, i) => this.renderReplica(device, replica, i === 0, device.clients.length))
                      : this.renderReplica(device, null, true, 1),
                  )}
                </tbody>
              </table>
            </div>
            <p class="muted">${t('health.staleNote', { minutes: report.stale_after_minutes })}</p>`
        : ''}
    </section>`;
  }
}

customElements.define('kaari-sync-health', KaariSyncHealth);
