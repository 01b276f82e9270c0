// The access-log search (GET /api/admin/access-log): who saw or changed which client's data, when, from
// which device and on what basis; by client, by user and by period, oldest first, a page at a time
// ("show more" follows next_after_id). A search by client is itself written to the log by the server.
// The hash chain can be checked (GET /api/admin/access-log/verify). Online only.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, t } from '../../i18n.js';
import { errorText } from '../../ui/error-text.js';
import { officeStyles } from '../../ui/office-styles.js';
import { sharedStyles } from '../../ui/shared-styles.js';

const PAGE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 'YYYY-MM-DD' (a local day) → the instant it starts, with this device's offset. */
function dayStart(day) {
  return new Date(`${day}T00:00:00`).toISOString();
}

class KaariAccessLog extends LitElement {
  static properties = {
    users: { attribute: false }, // [{id, username, display_name}] when loaded
    entries: { state: true },
    next: { state: true },
    errors: { state: true },
    busy: { state: true },
    chain: { state: true },
    searched: { state: true },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    css`
      .search {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        gap: 0.5rem 1rem;
      }
      .search .field {
        margin: 0;
      }
      .search input[name='client_id'] {
        width: 24rem;
        max-width: 100%;
      }
      code {
        font-size: 0.85rem;
        word-break: break-all;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.users = [];
    this.entries = [];
    this.next = null;
    this.errors = [];
    this.busy = false;
    this.chain = null;
    this.searched = null;
  }

  async search(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const query = {};
    const client = String(form.get('client_id') ?? '').trim();
    this.errors = [];
    if (client && !UUID.test(client)) this.errors.push(t('log.error.client'));
    if (client) query.client_id = client.toLowerCase();
    if (form.get('user_id')) query.user_id = form.get('user_id');
    if (form.get('since')) query.since = dayStart(form.get('since'));
    if (form.get('until')) {
      const until = new Date(`${form.get('until')}T00:00:00`);
      until.setDate(until.getDate() + 1); // the whole last day
      query.until = until.toISOString();
    }
    if (query.since && query.until && query.since >= query.until) this.errors.push(t('log.error.period'));
    if (this.errors.length) return;
    this.searched = query;
    this.entries = [];
    await this.load(0);
  }

  async load(afterId) {
    this.busy = true;
    try {
      const params = new URLSearchParams({ ...this.searched, after_id: String(afterId), limit: String(PAGE) });
      const page = await api(`/api/admin/access-log?${params}`);
      this.entries = [...this.entries, ...page.entries];
      this.next = page.next_after_id;
    } catch (error) {
      this.errors = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  async verify() {
    this.chain = { checking: true };
    try {
      this.chain = await api('/api/admin/access-log/verify');
    } catch (error) {
      this.chain = { failed: errorText(error).join(' ') };
    }
  }

  renderChain() {
    const c = this.chain;
    if (!c) return '';
    if (c.checking) return html`<p class="muted" role="status">${t('log.checking')}</p>`;
    if (c.failed) return html`<p class="notice error" role="alert">${c.failed}</p>`;
    return c.ok
      ? html`<p class="notice info" role="status" data-testid="chain">${t('log.chainOk', { count: c.entries })}</p>`
      : html`<p class="notice error" role="alert" data-testid="chain">${t('log.chainBroken', { id: c.first_bad_id, problem: c.problem ?? '' })}</p>`;
  }

  render() {
    const users = [...this.users].sort((a, b) => a.display_name.localeCompare(b.display_name));
    return html`<section aria-labelledby="log-title">
      <div class="top">
        <h2 id="log-title">${t('log.title')}</h2>
        <button class="secondary small" type="button" @click=${this.verify} ?disabled=${!navigator.onLine}>${t('log.verify')}</button>
      </div>
      <p class="muted">${t('log.intro')}</p>
      ${this.renderChain()}
      <form class="search panel" @submit=${this.search} novalidate data-testid="log-search">
        <div class="field">
          <label for="log-user">${t('log.user')}</label>
          <select id="log-user" name="user_id">
            <option value="">${t('log.anyone')}</option>
            ${users.map((u) => html`<option value=${u.id}>${u.display_name} (${u.username})</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="log-client">${t('log.client')}</label>
          <input id="log-client" name="client_id" autocomplete="off" spellcheck="false" placeholder="xxxxxxxx-xxxx-…" />
        </div>
        <div class="field"><label for="log-since">${t('log.since')}</label><input id="log-since" name="since" type="date" /></div>
        <div class="field"><label for="log-until">${t('log.until')}</label><input id="log-until" name="until" type="date" /></div>
        <button class="primary" type="submit" ?disabled=${this.busy || !navigator.onLine}>${t('log.search')}</button>
      </form>
      ${navigator.onLine ? '' : html`<div class="notice info" role="status"><p>${t('admin.offline')}</p></div>`}
      <div role="alert">${this.errors.length ? html`<div class="notice error">${this.errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}</div>
      ${this.searched
        ? html`<p role="status" class="muted" data-testid="log-count">${t('log.found', { count: this.entries.length })}${this.next ? ` ${t('log.more')}` : ''}</p>`
        : ''}
      ${this.entries.length
        ? html`<div class="scroll" tabindex="0" role="region" aria-label=${t('log.results')}>
            <table class="data" data-testid="log-results">
              <thead>
                <tr>
                  <th scope="col">${t('log.when')}</th>
                  <th scope="col">${t('log.user')}</th>
                  <th scope="col">${t('log.operation')}</th>
                  <th scope="col">${t('log.client')}</th>
                  <th scope="col">${t('log.basis')}</th>
                  <th scope="col">${t('log.device')}</th>
                </tr>
              </thead>
              <tbody>
                ${this.entries.map(
                  (e) => html`<tr data-testid="log-row">
                    <td>${new Date(e.at).toLocaleString()}</td>
                    <td>${e.username ?? '–'}${e.role ? html`<br /><span class="muted">${t(`role.${e.role}`)}</span>` : ''}</td>
                    <td>${e.operation} · ${e.record_type}</td>
                    <td>${e.client_id ? html`<code>${e.client_id}</code>` : '–'}</td>
                    <td><code>${e.basis}</code></td>
                    <td>${e.device_id ? html`<code>${e.device_id.slice(0, 8)}</code>` : '–'}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : ''}
      ${this.next
        ? html`<button class="secondary" type="button" ?disabled=${this.busy} @click=${() => this.load(this.next)}>${t('log.showMore')}</button>`
        : ''}
    </section>`;
  }
}

customElements.define('kaari-access-log', KaariAccessLog);
