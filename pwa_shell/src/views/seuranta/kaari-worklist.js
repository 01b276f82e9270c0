// The statutory worklist (GET /api/assessments/deadlines): service-needs assessments not yet started whose
// deadline has passed (overdue) or comes within the chosen working days (due soon), with the counts per
// counsellor. Computed on the server, which logs each client listed; shown online only, never stored.
// A process can be handed to another counsellor of its area (`assessment.assign`, a mutation: it is
// queued offline too); the list is read again once the hand-over has reached the server.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, label, t } from '../../i18n.js';
import { LiveQuery, StorageFullError, SyncStatusController, currentEngine, registerMutator } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { revealMarked } from '../../ui/reveal.js';
import { RemoteQuery, remoteNotice } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { named } from '../../ui/words.js';
import { shortDay } from '../kotas/kaari-places-board.js';

export const DUE_DAYS = [2, 5, 10];

registerMutator('assessment.assign', async (tx, { assessment_id: id, counsellor_id: counsellorId }) => {
  const assessment = await tx.get('assessment', id);
  if (assessment) tx.put('assessment', id, { ...assessment, counsellor_id: counsellorId });
});

class KaariWorklist extends LitElement {
  static properties = {
    filters: { attribute: false }, // {area_id, days, assessment_id}
    areaIds: { attribute: false }, // the areas the user may choose (null: every area)
    handedOver: { state: true }, // assessment id → counsellor id, sent or waiting to be sent
    error: { state: true },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    css`
      .overdue strong {
        color: var(--kaari-error-text);
      }
      tr.highlight td {
        background: var(--kaari-info-bg);
      }
      .handover {
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem;
        align-items: center;
      }
      .handover select {
        max-width: 14rem;
      }
      h3 {
        margin: 1.25rem 0 0.5rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.sync = new SyncStatusController(this);
    this.filters = {};
    this.handedOver = new Map();
    this.error = '';
    this.worklist = new RemoteQuery(this, () => {
      const query = new URLSearchParams({ days: String(this.days) });
      if (this.filters.area_id) query.set('area_id', this.filters.area_id);
      return api(`/api/assessments/deadlines?${query}`);
    });
    this.counsellors = new RemoteQuery(this, () => api('/api/assessments/counsellors'));
    this.areas = new LiveQuery(this, ['area'], async (engine) => new Map((await engine.query('area')).map((a) => [a.id, a.data])));
    this.wasPending = 0;
  }

  get days() {
    const days = Number(this.filters.days);
    return DUE_DAYS.includes(days) ? days : DUE_DAYS[0];
  }

  updated(changed) {
    const old = changed.get('filters');
    if (old && (old.area_id !== this.filters.area_id || old.days !== this.filters.days)) this.worklist.refresh();
    // A hand-over reached the server (nothing unsent any more): read the list again.
    const pending = this.sync.status?.pending ?? 0;
    if (this.handedOver.size && this.wasPending && !pending && navigator.onLine) this.worklist.refresh();
    this.wasPending = pending;
    revealMarked(this, this.filters.assessment_id);
  }

  change(name, value) {
    this.dispatchEvent(new CustomEvent('filter', { detail: { [name]: value || null }, bubbles: true, composed: true }));
  }

  async handOver(event, item) {
    event.preventDefault();
    const counsellorId = new FormData(event.target).get('counsellor_id');
    if (!counsellorId || counsellorId === item.counsellor_id) return;
    this.error = '';
    try {
      await currentEngine().mutate('assessment.assign', { assessment_id: item.assessment_id, counsellor_id: counsellorId });
      this.handedOver = new Map(this.handedOver).set(item.assessment_id, counsellorId);
    } catch (error) {
      this.error = error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected');
    }
  }

  counsellorName(id) {
    return this.counsellors.value?.find((c) => c.id === id)?.display_name ?? '';
  }

  renderHandOver(item) {
    const moved = this.handedOver.get(item.assessment_id);
    if (moved && moved !== item.counsellor_id) {
      return html`<span class="badge info" data-testid="handed-over">${t('worklist.handedTo', { name: this.counsellorName(moved) })}</span>
        ${this.sync.status?.pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}`;
    }
    const options = (this.counsellors.value ?? []).filter(
      (c) => c.id !== item.counsellor_id && (c.region_wide || c.area_ids.includes(item.area_id)),
    );
    if (!options.length) return '';
    return html`<form class="handover" @submit=${(e) => this.handOver(e, item)}>
      <label class="visually-hidden" for="to-${item.assessment_id}">${t('worklist.handTo', { client: item.client_name })}</label>
      <select id="to-${item.assessment_id}" name="counsellor_id">
        <option value="">${t('worklist.chooseCounsellor')}</option>
        ${options.map((c) => html`<option value=${c.id}>${c.display_name}</option>`)}
      </select>
      <button class="secondary small" type="submit">${t('worklist.handOver')}</button>
    </form>`;
  }

  renderItems(items, overdue) {
    const areas = this.areas.value ?? new Map();
    return html`<div class="scroll" tabindex="0" role="region" aria-label=${overdue ? t('worklist.overdue') : t('worklist.dueSoon')}>
      <table class="data" data-testid=${overdue ? 'overdue' : 'due-soon'}>
        <thead>
          <tr>
            <th scope="col">${t('worklist.client')}</th>
            <th scope="col">${t('worklist.deadline')}</th>
            <th scope="col">${t('worklist.counsellor')}</th>
            <th scope="col">${t('worklist.area')}</th>
            <th scope="col">${t('worklist.contact')}</th>
            <th scope="col">${t('worklist.handOver')}</th>
          </tr>
        </thead>
        <tbody>
          ${items.map(
            (item) => html`<tr data-testid="worklist-row" class=${item.assessment_id === this.filters.assessment_id ? 'highlight' : ''}>
              <td><strong>${item.client_name}</strong>${item.urgent ? html` <span class="badge bad">${t('worklist.urgent')}</span>` : ''}</td>
              <td>
                ${shortDay(item.deadline)}<br />
                ${overdue
                  ? html`<span class="badge bad">${t('worklist.daysOverdue', { count: item.days_overdue })}</span>`
                  : html`<span class="badge warn">${t('worklist.workingDaysLeft', { count: item.working_days_left })}</span>`}
              </td>
              <td>${item.counsellor_name ?? '–'}</td>
              <td>${label(areas.get(item.area_id)?.labels)}</td>
              <td>${shortDay(item.contact_on)}<br /><span class="muted">${named('worklist.rule', item.rule)}</span></td>
              <td>${this.renderHandOver(item)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  renderFilters(areaIds) {
    const areas = this.areas.value ?? new Map();
    return html`<div class="filters" role="group" aria-label=${t('kotas.filters')}>
      ${areaIds.length > 1
        ? html`<div class="field">
            <label for="wl-area">${t('kotas.area')}</label>
            <select id="wl-area" @change=${(e) => this.change('area_id', e.target.value)}>
              <option value="" ?selected=${!this.filters.area_id}>${t('kotas.allAreas')}</option>
              ${areaIds.map((id) => html`<option value=${id} ?selected=${id === this.filters.area_id}>${label(areas.get(id)?.labels)}</option>`)}
            </select>
          </div>`
        : ''}
      <div class="field">
        <label for="wl-days">${t('worklist.within')}</label>
        <select id="wl-days" @change=${(e) => this.change('days', e.target.value)}>
          ${DUE_DAYS.map((d) => html`<option value=${d} ?selected=${d === this.days}>${t('worklist.days', { count: d })}</option>`)}
        </select>
      </div>
      <button class="secondary" type="button" @click=${() => this.worklist.refresh()} ?disabled=${this.worklist.loading}>${t('admin.refresh')}</button>
    </div>`;
  }

  render() {
    const list = this.worklist.value;
    const areas = this.areas.value ?? new Map();
    const areaIds = [...(this.areaIds ?? areas.keys())].sort((a, b) => label(areas.get(a)?.labels).localeCompare(label(areas.get(b)?.labels)));
    return html`<section aria-labelledby="worklist-title">
      <h2 id="worklist-title">${t('worklist.title')}</h2>
      <p class="muted">${t('worklist.intro')}</p>
      ${this.renderFilters(areaIds)}
      ${remoteNotice(this.worklist)}
      <div role="alert">${this.error ? html`<div class="notice error"><p>${this.error}</p></div>` : ''}</div>
      ${list
        ? html`<div class="stats" role="status" data-testid="worklist-stats">
              <p class="overdue"><strong>${list.overdue.length}</strong> ${t('worklist.overdueCount', { count: list.overdue.length })}</p>
              <p><strong>${list.due_soon.length}</strong> ${t('worklist.dueSoonCount', { count: list.due_soon.length })}</p>
              <p class="muted">${t('worklist.asOf', { day: shortDay(list.today) })}</p>
            </div>
            ${list.by_counsellor.length
              ? html`<h3>${t('worklist.byCounsellor')}</h3>
                  <div class="scroll" tabindex="0" role="region" aria-label=${t('worklist.byCounsellor')}>
                    <table class="data" data-testid="by-counsellor">
                      <thead>
                        <tr>
                          <th scope="col">${t('worklist.counsellor')}</th>
                          <th scope="col">${t('worklist.area')}</th>
                          <th scope="col" class="num">${t('worklist.overdue')}</th>
                          <th scope="col" class="num">${t('worklist.dueSoon')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${list.by_counsellor.map(
                          (c) => html`<tr>
                            <td>${c.counsellor_name ?? '–'}</td>
                            <td>${label(this.areas.value?.get(c.area_id)?.labels)}</td>
                            <td class="num">${c.overdue}</td>
                            <td class="num">${c.due_soon}</td>
                          </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
              : ''}
            <h3>${t('worklist.overdue')}</h3>
            ${list.overdue.length ? this.renderItems(list.overdue, true) : html`<p class="muted">${t('worklist.noneOverdue')}</p>`}
            <h3>${t('worklist.dueSoon')}</h3>
            ${list.due_soon.length ? this.renderItems(list.due_soon, false) : html`<p class="muted">${t('worklist.noneDueSoon')}</p>`}`
        : ''}
    </section>`;
  }
}

customElements.define('kaari-worklist', KaariWorklist);
