// Possible duplicates (GET /api/admin/duplicates): two client records with the same name and birth date
// and no identity codes to tell them apart, found by the import. The admin compares them (names, birth
// date, municipality, whether a code is known, where each came from) and either keeps one, merging the
// other into it (`client.merge`, after a confirmation: the merged record's id then names the survivor),
// or leaves them as two people. The merges made are listed below (GET /api/admin/merges). Online only.
import { LitElement, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, label, t } from '../../i18n.js';
import { LiveQuery, StorageFullError, currentEngine } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { RemoteQuery, remoteNotice } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';

class KaariAdminDuplicates extends LitElement {
  static properties = {
    confirming: { state: true }, // {pair, keep, merge}: the merge waiting for confirmation
    error: { state: true },
    queued: { state: true }, // pair ids whose merge is queued (sent with the next sync)
  };

  static styles = [sharedStyles, officeStyles];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.confirming = null;
    this.error = '';
    this.queued = new Set();
    this.pairs = new RemoteQuery(this, () => api('/api/admin/duplicates'));
    this.merges = new RemoteQuery(this, () => api('/api/admin/merges'));
    this.municipalities = new LiveQuery(this, ['municipality'], (engine) => engine.query('municipality'));
  }

  municipality(id) {
    return label(this.municipalities.value?.find((m) => m.id === id)?.data.labels) || '–';
  }

  async merge() {
    const { pair, keep, merge } = this.confirming;
    this.error = '';
    try {
      await currentEngine().mutate('client.merge', { client_id: keep.id, merged_client_id: merge.id });
      this.queued = new Set([...this.queued, pair.id]);
      this.confirming = null;
    } catch (error) {
      this.error = error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected');
    }
  }

  renderClient(pair, client, other) {
    const born = client.birth_date ? new Date(`${client.birth_date}T12:00`).toLocaleDateString() : '–';
    return html`<div class="panel" data-testid="duplicate-client">
      <p><strong>${client.last_name}, ${client.first_name}</strong></p>
      <p>${t('duplicates.born')}: ${born} · ${this.municipality(client.municipality_id)}</p>
      <p>${client.has_identity_code ? t('duplicates.hasCode') : t('duplicates.noCode')}</p>
      <p class="muted">${t('duplicates.sources')}: ${client.sources.length ? client.sources.join(', ') : '–'}</p>
      <button class="secondary small" type="button" data-testid="keep" ?disabled=${!navigator.onLine || this.queued.has(pair.id)}
        @click=${() => (this.confirming = { pair, keep: client, merge: other })}>${t('duplicates.keep')}</button>
    </div>`;
  }

  renderPair(pair) {
    const [a, b] = pair.clients;
    const confirming = this.confirming?.pair.id === pair.id;
    return html`<li data-testid="duplicate-pair">
      <div class="pair">${this.renderClient(pair, a, b)} ${this.renderClient(pair, b, a)}</div>
      ${this.queued.has(pair.id) ? html`<p class="notice info" role="status">${t('duplicates.queued')}</p>` : ''}
      ${confirming
        ? html`<div class="panel" role="group" aria-label=${t('duplicates.confirmTitle')}>
            <p>${t('duplicates.confirm', {
              keep: `${this.confirming.keep.first_name} ${this.confirming.keep.last_name}`,
              merge: `${this.confirming.merge.first_name} ${this.confirming.merge.last_name}`,
            })}</p>
            <div class="actions">
              <button class="primary small" type="button" data-testid="confirm-merge" @click=${() => this.merge()}>${t('duplicates.merge')}</button>
              <button class="secondary small" type="button" @click=${() => (this.confirming = null)}>${t('attention.cancel')}</button>
            </div>
          </div>`
        : ''}
    </li>`;
  }

  render() {
    const pairs = this.pairs.value ?? [];
    const merges = this.merges.value ?? [];
    return html`<section aria-labelledby="duplicates-title">
      <div class="top">
        <h2 id="duplicates-title">${t('duplicates.title')}</h2>
        <button type="button" class="secondary small" @click=${() => (this.pairs.refresh(), this.merges.refresh())}>${t('admin.refresh')}</button>
      </div>
      <p class="muted">${t('duplicates.intro')}</p>
      ${remoteNotice(this.pairs, 'admin.offline')}
      <div role="alert">${this.error ? html`<div class="notice error"><p>${this.error}</p></div>` : ''}</div>
      ${this.pairs.value && !pairs.length ? html`<p data-testid="no-duplicates">${t('duplicates.none')}</p>` : ''}
      <ul class="plain" data-testid="duplicates">${pairs.map((p) => this.renderPair(p))}</ul>
      <h3>${t('duplicates.mergesTitle')}</h3>
      ${merges.length
        ? html`<ul class="plain" data-testid="merges">
            ${merges.map((m) => html`<li>${new Date(m.merged_at).toLocaleString()}: ${t('duplicates.merged', {
              name: `${m.summary.merged?.first_name ?? ''} ${m.summary.merged?.last_name ?? ''}`.trim(),
            })}</li>`)}
          </ul>`
        : html`<p class="muted">${t('duplicates.noMerges')}</p>`}
    </section>`;
  }
}

customElements.define('kaari-admin-duplicates', KaariAdminDuplicates);
