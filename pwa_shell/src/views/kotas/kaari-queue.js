// The placement queue (SAS) from the coordinator's replica: every active entry of each queue (service
// kind and area) in the server's rank order with its reasons, the referral's urgency and scores, and its
// open offer. A waiting entry of short-term care or 24h housing can be offered a place (`placement.offer`:
// the unit, the start and, for short-term care, the end); an open offer records the client's answer
// (`placement.accept` / `placement.decline`). All of it works offline; the server decides, and a refused
// offer (the place went meanwhile: `capacity_exhausted` with alternatives) shows in Needs attention.
//
// Who the client is: the replica holds no client record for the queue (minimal data on the device).
// Online, initials, age and municipality come from GET /api/queue, which logs each client shown; they
// are kept in memory only, never stored on the device.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, label, t } from '../../i18n.js';
import { ROUTES } from '../../router.js';
import { LiveQuery, StorageFullError, SyncStatusController, currentEngine, localDate, uuid4 } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { revealMarked } from '../../ui/reveal.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { byName, kindName, shortDay } from './kaari-places-board.js';
import { PUBLISHED_DAYS, addDays } from './mutators.js';

export const PLACEABLE = ['short_term_care', 'housing_24h'];
const SHORT_STAY_DAYS = 14;

/** The server's reasons ("urgent", "MAPLe 4", "waiting 34 days", …) in the current language. */
export function reasonText(reason) {
  const waiting = /^waiting (\d+) days?$/.exec(reason);
  if (waiting) return t('queue.reason.waiting', { count: Number(waiting[1]) });
  const known = { urgent: 'queue.reason.urgent', 'prefers this area': 'queue.reason.prefersHere', 'prefers another area': 'queue.reason.prefersOther' };
  return known[reason] ? t(known[reason]) : reason;
}

function codeName(codeLists, list, code) {
  return label(codeLists.get(list)?.codes.find((c) => c.code === code)?.labels) || code;
}

class KaariQueue extends LitElement {
  static properties = {
    filters: { attribute: false }, // {area_id, service_kind, offer_id, queue_entry_id}
    online: { type: Boolean },
    offering: { state: true }, // queue entry id whose offer form is open
    draft: { state: true },
    errors: { state: true },
    notice: { state: true },
    people: { state: true }, // queue entry id → {initials, age, municipality_id} (online only)
    peopleError: { state: true },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    css`
      h2 {
        margin: 1.5rem 0 0.5rem;
        font-size: 1.15rem;
      }
      td.rank {
        font-size: 1.2rem;
        font-weight: 700;
        text-align: center;
      }
      .reasons {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
      }
      tr.highlight td {
        background: var(--kaari-info-bg);
      }
      .offer-form {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
        gap: 0 1rem;
        align-items: end;
      }
      .offer-form select {
        width: 100%;
      }
      .availability {
        margin: 0.5rem 0 1rem;
        font-weight: 600;
      }
      .availability.full {
        color: var(--kaari-error-text);
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.sync = new SyncStatusController(this);
    this.filters = {};
    this.online = navigator.onLine;
    this.offering = null;
    this.draft = null;
    this.errors = [];
    this.notice = '';
    this.people = new Map();
    this.peopleError = false;
    this.data = new LiveQuery(
      this,
      ['queue_entry', 'referral', 'offer', 'unit', 'area', 'municipality', 'code_list', 'free_places'],
      async (engine) => {
        const [entries, referrals, offers, units, areas, municipalities, lists, places] = await Promise.all([
          engine.query('queue_entry', (e) => e.status === 'waiting' || e.status === 'offered'),
          engine.query('referral'),
          engine.query('offer', (o) => o.status === 'open'),
          engine.query('unit'),
          engine.query('area'),
          engine.query('municipality'),
          engine.query('code_list', (l) => l.id.startsWith('referral.')),
          engine.query('free_places'),
        ]);
        const free = new Map(places.map((p) => [`${p.data.unit_id}|${p.data.date}`, p.data.free]));
        return {
          entries,
          referrals: new Map(referrals.map((r) => [r.id, r.data])),
          offers: new Map(offers.map((o) => [o.id, o])),
          units: units.sort(byName),
          areas: new Map(areas.map((a) => [a.id, a.data])),
          municipalities: new Map(municipalities.map((m) => [m.id, m.data])),
          codeLists: new Map(lists.map((r) => [r.id, r.data])),
          free,
        };
      },
    );
  }

  connectedCallback() {
    super.connectedCallback();
    this.loadPeople();
  }

  updated(changed) {
    if (changed.has('online') && this.online && changed.get('online') === false) this.loadPeople();
    revealMarked(this, this.filters.offer_id || this.filters.queue_entry_id);
  }

  /** Initials, age and municipality of the listed clients, from the server (which logs the read). */
  async loadPeople() {
    if (!navigator.onLine) return;
    try {
      const rows = await api('/api/queue');
      this.people = new Map(rows.map((r) => [r.queue_entry_id, r]));
      this.peopleError = false;
    } catch {
      this.peopleError = true;
    }
  }

  change(name, value) {
    this.dispatchEvent(new CustomEvent('filter', { detail: { [name]: value || null }, bubbles: true, composed: true }));
  }

  /** The queues to show: [{kind, areaId, entries}] in rank order, placeable kinds first. */
  queues(data) {
    const { area_id: areaId, service_kind: kind } = this.filters;
    const groups = new Map();
    for (const entry of data.entries) {
      const e = entry.data;
      if ((areaId && e.area_id !== areaId) || (kind && e.service_kind !== kind)) continue;
      const key = `${e.service_kind}|${e.area_id}`;
      if (!groups.has(key)) groups.set(key, { kind: e.service_kind, areaId: e.area_id, entries: [] });
      groups.get(key).entries.push(entry);
    }
    const order = (k) => (PLACEABLE.includes(k) ? PLACEABLE.indexOf(k) : 9);
    const areaName = (id) => label(data.areas.get(id)?.labels);
    return [...groups.values()]
      .map((g) => ({ ...g, entries: g.entries.sort((a, b) => (a.data.rank ?? 1e9) - (b.data.rank ?? 1e9)) }))
      .sort((a, b) => order(a.kind) - order(b.kind) || areaName(a.areaId).localeCompare(areaName(b.areaId)));
  }

  openOffer(entry, data) {
    const start = localDate();
    const units = this.unitsFor(entry.data, data, start);
    this.offering = entry.id;
    this.errors = [];
    this.notice = '';
    this.draft = {
      unit_id: units[0]?.unit.id ?? '',
      start_date: start,
      end_date: entry.data.service_kind === 'short_term_care' ? addDays(start, SHORT_STAY_DAYS - 1) : '',
    };
  }

  /** Units of the entry's kind, its own area first, then by free places on the start day. */
  unitsFor(entry, data, start) {
    return data.units
      .filter((u) => u.data.kind === entry.service_kind)
      .map((unit) => ({ unit, free: data.free.get(`${unit.id}|${start}`) ?? null }))
      .sort(
        (a, b) =>
          (b.unit.data.area_id === entry.area_id) - (a.unit.data.area_id === entry.area_id) || (b.free ?? -1) - (a.free ?? -1),
      );
  }

  /** The fewest free places of the unit over the offered days that are published, and the first full day. */
  availability(data, { unit_id: unitId, start_date: start, end_date: end }) {
    if (!unitId || !start) return null;
    const last = end || addDays(start, PUBLISHED_DAYS);
    let least = null;
    let full = null;
    for (let day = start; day <= last; day = addDays(day, 1)) {
      const free = data.free.get(`${unitId}|${day}`);
      if (free == null) continue;
      least = least == null ? free : Math.min(least, free);
      if (free <= 0 && !full) full = day;
    }
    return least == null ? null : { least, full };
  }

  async submitOffer(event, entry) {
    event.preventDefault();
    const { unit_id: unitId, start_date: start, end_date: end } = this.draft;
    const errors = [];
    if (!unitId) errors.push(t('offer.error.unit'));
    if (!start || start < localDate()) errors.push(t('offer.error.start'));
    if (entry.data.service_kind === 'short_term_care' && !end) errors.push(t('offer.error.end'));
    if (end && start && end < start) errors.push(t('offer.error.order'));
    this.errors = errors;
    if (errors.length) return;
    try {
      await currentEngine().mutate('placement.offer', {
        offer_id: uuid4(),
        queue_entry_id: entry.id,
        unit_id: unitId,
        start_date: start,
        ...(end ? { end_date: end } : {}),
      });
      this.offering = null;
      this.notice = navigator.onLine ? t('offer.saved') : t('offer.savedOffline');
    } catch (error) {
      this.errors = [error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected')];
    }
  }

  async answer(offer, name) {
    try {
      await currentEngine().mutate(name, { offer_id: offer.id });
      this.notice = t(name === 'placement.accept' ? 'offer.acceptedSaved' : 'offer.declinedSaved');
    } catch (error) {
      this.notice = error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected');
    }
  }

  renderOfferForm(entry, data) {
    const draft = this.draft;
    const units = this.unitsFor(entry.data, data, draft.start_date || localDate());
    const shortTerm = entry.data.service_kind === 'short_term_care';
    const seen = this.availability(data, draft);
    const set = (name) => (e) => (this.draft = { ...this.draft, [name]: e.target.value });
    return html`<form class="panel" @submit=${(e) => this.submitOffer(e, entry)} novalidate data-testid="offer-form"
      aria-labelledby="offer-title-${entry.id}">
      <h3 id="offer-title-${entry.id}">${t('offer.title')}</h3>
      <div role="alert">${this.errors.length ? html`<div class="notice error">${this.errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}</div>
      <div class="offer-form">
        <div class="field">
          <label for="offer-unit">${t('offer.unit')}</label>
          <select id="offer-unit" @change=${set('unit_id')}>
            ${units.map(
              ({ unit, free }) => html`<option value=${unit.id} ?selected=${unit.id === draft.unit_id}>
                ${label(unit.data.labels)} (${label(data.areas.get(unit.data.area_id)?.labels)})${free == null ? '' : ` – ${t('offer.freeOnStart', { count: free })}`}
              </option>`,
            )}
          </select>
        </div>
        <div class="field">
          <label for="offer-start">${t('offer.start')}</label>
          <input id="offer-start" type="date" min=${localDate()} .value=${draft.start_date} @change=${set('start_date')} />
        </div>
        <div class="field">
          <label for="offer-end">${shortTerm ? t('offer.end') : t('offer.endOptional')}</label>
          <input id="offer-end" type="date" min=${draft.start_date} .value=${draft.end_date} @change=${set('end_date')} />
        </div>
      </div>
      ${seen
        ? html`<p class="availability ${seen.least <= 0 ? 'full' : ''}" role="status" data-testid="offer-availability">
            ${seen.least > 0 ? t('offer.availableAll', { count: seen.least }) : t('offer.fullOn', { day: shortDay(seen.full) })}
          </p>`
        : ''}
      <p class="muted">${t('offer.holds')}</p>
      <div class="actions">
        <button class="primary" type="submit">${t('offer.submit')}</button>
        <button class="secondary" type="button" @click=${() => (this.offering = null)}>${t('attention.cancel')}</button>
      </div>
    </form>`;
  }

  renderStatus(entry, data) {
    const e = entry.data;
    const offer = e.offer_id ? data.offers.get(e.offer_id) : null;
    if (e.status === 'offered' && offer) {
      const o = offer.data;
      const unit = data.units.find((u) => u.id === o.unit_id);
      const period = o.end_date ? `${shortDay(o.start_date)}–${shortDay(o.end_date)}` : t('offer.from', { day: shortDay(o.start_date) });
      return html`<span class="badge info">${t('queue.offered')}</span>
        ${offer.pending || entry.pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
        <div>${label(unit?.data.labels)}, ${period}</div>
        <div class="muted">${t('offer.expires', { when: new Date(o.expires_at).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'numeric', hour: '2-digit', minute: '2-digit' }) })}</div>
        <div class="actions">
          <button class="secondary small" type="button" @click=${() => this.answer(offer, 'placement.accept')}>${t('offer.accept')}</button>
          <button class="secondary small" type="button" @click=${() => this.answer(offer, 'placement.decline')}>${t('offer.decline')}</button>
        </div>`;
    }
    if (e.status === 'offered') return html`<span class="badge info">${t('queue.offered')}</span>`;
    return html`<span class="badge good">${t('queue.waiting')}</span>
      ${entry.pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
      ${PLACEABLE.includes(e.service_kind) && this.offering !== entry.id
        ? html`<div class="actions">
            <button class="primary small" type="button" data-testid="offer-button" @click=${() => this.openOffer(entry, data)}>
              ${t('offer.open')}
            </button>
          </div>`
        : ''}`;
  }

  renderEntry(entry, data) {
    const e = entry.data;
    const referral = data.referrals.get(e.referral_id);
    const person = this.people.get(entry.id);
    const municipality = person ? label(data.municipalities.get(person.municipality_id)?.labels) : '';
    // The row a notification is about: an offer's (offer_id) or a new referral's (queue_entry_id).
    const highlight = (this.filters.offer_id && e.offer_id === this.filters.offer_id) || entry.id === this.filters.queue_entry_id;
    return html`<tr data-testid="queue-row" data-entry=${entry.id} class=${highlight ? 'highlight' : ''}>
        <td class="rank">${e.rank ?? '–'}</td>
        <td>
          ${person
            ? html`<strong>${person.initials}</strong>${person.age != null ? `, ${t('queue.age', { age: person.age })}` : ''}<br /><span class="muted">${municipality}</span>`
            : html`<span class="muted">${t('queue.whoOnline')}</span>`}
        </td>
        <td>
          <div class="reasons">
            ${(e.reasons ?? []).map((r) => html`<span class="badge ${r === 'urgent' ? 'bad' : 'info'}">${reasonText(r)}</span>`)}
          </div>
          ${referral
            ? html`<div class="muted">
                ${t('queue.received', { day: shortDay(referral.received_at.slice(0, 10)) })} ·
                ${codeName(data.codeLists, 'referral.source', referral.source)}
                ${referral.cps != null ? ` · CPS ${referral.cps}` : ''}${referral.adl_h != null ? ` · ADL-H ${referral.adl_h}` : ''}
              </div>`
            : ''}
        </td>
        <td class="num">${e.days_waiting ?? '–'}</td>
        <td>${this.renderStatus(entry, data)}</td>
      </tr>
      ${this.offering === entry.id
        ? html`<tr>
            <td colspan="5">${this.renderOfferForm(entry, data)}</td>
          </tr>`
        : ''}`;
  }

  renderFilters(data) {
    const kinds = [...new Set(data.entries.map((e) => e.data.service_kind))].sort(
      (a, b) => (PLACEABLE.includes(b) - PLACEABLE.includes(a)) || a.localeCompare(b),
    );
    const areas = [...data.areas.entries()].sort((a, b) => label(a[1].labels).localeCompare(label(b[1].labels)));
    return html`<div class="filters" role="group" aria-label=${t('kotas.filters')}>
      <div class="field">
        <label for="q-area">${t('kotas.area')}</label>
        <select id="q-area" @change=${(e) => this.change('area_id', e.target.value)}>
          <option value="" ?selected=${!this.filters.area_id}>${t('kotas.allAreas')}</option>
          ${areas.map(([id, a]) => html`<option value=${id} ?selected=${id === this.filters.area_id}>${label(a.labels)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="q-kind">${t('queue.serviceKind')}</label>
        <select id="q-kind" @change=${(e) => this.change('service_kind', e.target.value)}>
          <option value="" ?selected=${!this.filters.service_kind}>${t('kotas.allKinds')}</option>
          ${kinds.map((k) => html`<option value=${k} ?selected=${k === this.filters.service_kind}>${kindName(data.codeLists, k)}</option>`)}
        </select>
      </div>
      ${this.online
        ? html`<button class="secondary" type="button" @click=${() => this.loadPeople()}>${t('queue.refreshPeople')}</button>`
        : ''}
    </div>`;
  }

  render() {
    const data = this.data.value;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    const queues = this.queues(data);
    return html`${this.renderFilters(data)}
      <div role="status">
        ${this.notice
          ? html`<div class="notice info" data-testid="queue-notice"><p>${this.notice}
              ${this.sync.status?.attention ? html` <a href=${ROUTES.attention}>${t('sync.attention', { count: this.sync.status.attention })}</a>` : ''}</p></div>`
          : ''}
      </div>
      ${!this.online ? html`<p class="muted">${t('queue.offlineWho')}</p>` : ''}
      ${this.peopleError && this.online ? html`<p class="muted">${t('queue.peopleFailed')}</p>` : ''}
      ${queues.length
        ? queues.map(
            // The heading names the scrolling table's region; the section stays unnamed, so it is not a
            // second landmark of the same name (axe landmark-unique).
            (q) => html`<section data-testid="queue">
              <h2 id="q-${q.kind}-${q.areaId}">
                ${kindName(data.codeLists, q.kind)} – ${label(data.areas.get(q.areaId)?.labels)}
                <span class="muted">(${t('queue.count', { count: q.entries.length })})</span>
              </h2>
              <div class="scroll" tabindex="0" role="region" aria-labelledby="q-${q.kind}-${q.areaId}">
                <table class="data">
                  <thead>
                    <tr>
                      <th scope="col">${t('queue.rank')}</th>
                      <th scope="col">${t('queue.client')}</th>
                      <th scope="col">${t('queue.reasons')}</th>
                      <th scope="col" class="num">${t('queue.daysWaiting')}</th>
                      <th scope="col">${t('queue.status')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${q.entries.map((entry) => this.renderEntry(entry, data))}
                  </tbody>
                </table>
              </div>
            </section>`,
          )
        : html`<p class="muted" data-testid="queue-empty">${t('queue.empty')}</p>`}`;
  }
}

customElements.define('kaari-queue', KaariQueue);
