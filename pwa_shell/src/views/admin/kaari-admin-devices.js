// Devices: every shared tablet and personal device (GET /api/admin/devices), enrolling a new tablet to a
// unit (POST /api/admin/devices/enrolment-codes: the one-time code is shown once, to be typed on the
// tablet at /enrol) and revoking a device (POST …/{id}/revoke, after a confirmation: its next call erases
// every store on it, unsent writes included, and ends its sign-ins). Online only.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, label, t } from '../../i18n.js';
import { LiveQuery } from '../../sync/index.js';
import { errorText } from '../../ui/error-text.js';
import { officeStyles } from '../../ui/office-styles.js';
import { RemoteQuery, remoteNotice } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { timeAgo } from '../kaari-sync-status.js';
import { byName } from '../kotas/kaari-places-board.js';

class KaariAdminDevices extends LitElement {
  static properties = {
    session: { attribute: false },
    code: { state: true }, // the enrolment code just made: {code, device_name, unit_id, expires_at}
    confirming: { state: true }, // device id whose revocation waits for confirmation
    errors: { state: true },
    busy: { state: true },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    css`
      .enrol {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        gap: 0.5rem 1rem;
      }
      .enrol .field {
        margin: 0;
        min-width: 16rem;
      }
      .code {
        font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
        font-size: 2rem;
        font-weight: 700;
        letter-spacing: 0.15em;
        margin: 0.25rem 0;
      }
      tr.revoked td {
        color: var(--kaari-muted);
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.code = null;
    this.confirming = null;
    this.errors = [];
    this.busy = false;
    this.devices = new RemoteQuery(this, () => api('/api/admin/devices'));
    this.units = new LiveQuery(this, ['unit'], async (engine) => (await engine.query('unit')).sort(byName));
  }

  unitName(id) {
    return label(this.units.value?.find((u) => u.id === id)?.data.labels) || '–';
  }

  async enrol(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { unit_id: form.get('unit_id'), device_name: String(form.get('device_name')).trim() };
    this.errors = [];
    if (!body.unit_id) this.errors.push(t('devices.error.unit'));
    if (!body.device_name) this.errors.push(t('devices.error.name'));
    if (this.errors.length) return;
    this.busy = true;
    try {
      this.code = await api('/api/admin/devices/enrolment-codes', { method: 'POST', body });
      event.target.reset();
    } catch (error) {
      this.errors = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  async revoke(device) {
    this.busy = true;
    this.errors = [];
    try {
      await api(`/api/admin/devices/${device.id}/revoke`, { method: 'POST' });
      this.confirming = null;
      await this.devices.refresh();
    } catch (error) {
      this.errors = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  renderEnrol() {
    const units = this.units.value ?? [];
    return html`<form class="panel" @submit=${this.enrol} novalidate aria-labelledby="enrol-title" data-testid="enrol-form">
      <h3 id="enrol-title">${t('devices.enrolTitle')}</h3>
      <p class="muted">${t('devices.enrolIntro')}</p>
      <div class="enrol">
        <div class="field">
          <label for="enrol-unit">${t('devices.unit')}</label>
          <select id="enrol-unit" name="unit_id">
            <option value="">${t('common.choose')}</option>
            ${units.map((u) => html`<option value=${u.id}>${label(u.data.labels)}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="enrol-name">${t('devices.name')}</label>
          <input id="enrol-name" name="device_name" maxlength="120" placeholder=${t('devices.namePlaceholder')} />
        </div>
        <button class="primary" type="submit" ?disabled=${this.busy || !navigator.onLine}>${t('devices.makeCode')}</button>
      </div>
      ${this.code
        ? html`<div class="notice info" role="status" data-testid="enrolment-code">
            <p>${t('devices.codeFor', { name: this.code.device_name, unit: this.unitName(this.code.unit_id) })}</p>
            <p class="code" data-testid="code">${this.code.code}</p>
            <p>${t('devices.codeHowTo', { expires: new Date(this.code.expires_at).toLocaleString() })}</p>
          </div>`
        : ''}
    </form>`;
  }

  renderDevice(device) {
    const revoked = Boolean(device.revoked_at);
    return html`<tr class=${revoked ? 'revoked' : ''} data-testid="device-row" data-name=${device.name}>
      <td><strong>${device.name}</strong></td>
      <td>${t(`health.kind.${device.kind}`)}</td>
      <td>${device.unit_id ? this.unitName(device.unit_id) : '–'}</td>
      <td>${device.last_seen_at ? timeAgo(Date.parse(device.last_seen_at)) : '–'}</td>
      <td>
        ${revoked
          ? html`<span class="badge bad" data-testid="device-state">${t('devices.revokedAt', { when: new Date(device.revoked_at).toLocaleString() })}</span>`
          : html`<span class="badge good" data-testid="device-state">${t('devices.active')}</span>`}
      </td>
      <td>
        ${device.id === this.session?.device_id
          ? html`<span class="badge info">${t('devices.thisDevice')}</span>`
          : revoked
          ? ''
          : this.confirming === device.id
            ? html`<div class="panel" role="group" aria-label=${t('devices.confirmTitle')}>
                <p>${t('devices.confirm', { name: device.name })}</p>
                <div class="actions">
                  <button class="primary small" type="button" ?disabled=${this.busy} @click=${() => this.revoke(device)}>${t('devices.confirmRevoke')}</button>
                  <button class="secondary small" type="button" @click=${() => (this.confirming = null)}>${t('attention.cancel')}</button>
                </div>
              </div>`
            : html`<button class="secondary small" type="button" data-testid="revoke" ?disabled=${!navigator.onLine}
                @click=${() => (this.confirming = device.id)}>${t('devices.revoke')}</button>`}
      </td>
    </tr>`;
  }

  render() {
    const devices = this.devices.value ?? [];
    return html`<section aria-labelledby="devices-title">
      <div class="top">
        <h2 id="devices-title">${t('devices.title')}</h2>
        <button type="button" class="secondary small" @click=${() => this.devices.refresh()}>${t('admin.refresh')}</button>
      </div>
      ${remoteNotice(this.devices, 'admin.offline')}
      <div role="alert">${this.errors.length ? html`<div class="notice error">${this.errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}</div>
      ${this.renderEnrol()}
      ${devices.length
        ? html`<div class="scroll" tabindex="0" role="region" aria-label=${t('devices.title')}>
            <table class="data" data-testid="devices">
              <thead>
                <tr>
                  <th scope="col">${t('devices.name')}</th>
                  <th scope="col">${t('devices.kind')}</th>
                  <th scope="col">${t('devices.unit')}</th>
                  <th scope="col">${t('devices.lastSeen')}</th>
                  <th scope="col">${t('devices.state')}</th>
                  <th scope="col"><span class="visually-hidden">${t('devices.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                ${devices.map((d) => this.renderDevice(d))}
              </tbody>
            </table>
          </div>`
        : ''}
    </section>`;
  }
}

customElements.define('kaari-admin-devices', KaariAdminDevices);
