// The free-places board of every unit (Kotas), from the coordinator's replica: the server publishes each
// unit's capacity, occupied and free places for today and the next 60 days (`free_places` records in the
// `places` scope), so the board works the same offline and shows an offer made on this device at once.
// Filters: area, unit kind, dates (at most the published window); one unit (`unit_id`, as a notification
// links it). The chart shows the filtered units' occupancy per day; the table has every figure.
import { LitElement, css, html } from 'lit';
import { I18nController, label, t } from '../../i18n.js';
import { LiveQuery, localDate } from '../../sync/index.js';
import { chartStyles, stackedBarChart } from '../../ui/charts.js';
import { officeStyles } from '../../ui/office-styles.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { PUBLISHED_DAYS, addDays } from './mutators.js';

export const DEFAULT_DAYS = 14;
export const UNIT_KINDS = ['short_term_care', 'housing_24h', 'day_activity'];

/** "ti 2.12." in the current language. */
export function shortDay(day, options = { weekday: 'short', day: 'numeric', month: 'numeric' }) {
  return new Date(`${day}T12:00:00`).toLocaleDateString(document.documentElement.lang || 'fi', options);
}

/** The unit kind's name, from the referral.service_kind code list (the same codes). */
export function kindName(codeLists, kind) {
  return label(codeLists.get('referral.service_kind')?.codes.find((c) => c.code === kind)?.labels) || kind;
}

export function byName(a, b) {
  return label(a.data.labels).localeCompare(label(b.data.labels));
}

class KaariPlacesBoard extends LitElement {
  static properties = {
    filters: { attribute: false }, // {area_id, kind, from, to, unit_id}
  };

  static styles = [
    sharedStyles,
    officeStyles,
    chartStyles,
    css`
      td.free {
        text-align: center;
        font-variant-numeric: tabular-nums;
        min-width: 2.75rem;
      }
      td.free.some {
        color: var(--kaari-online-text);
        background: var(--kaari-online-bg);
        font-weight: 700;
      }
      td.free.over {
        color: var(--kaari-error-text);
        background: var(--kaari-error-bg);
        font-weight: 700;
      }
      td.free.closed {
        color: var(--kaari-muted);
      }
      tr.selected th,
      tr.selected td {
        border-bottom: 3px solid var(--kaari-brand);
      }
      th.unit {
        min-width: 17rem;
        font-weight: 600;
      }
      th.unit .muted {
        display: block;
        font-weight: 400;
        font-size: 0.85rem;
      }
      .pick {
        font: inherit;
        font-weight: 600;
        color: var(--kaari-brand);
        background: none;
        border: none;
        padding: 0;
        text-align: left;
        text-decoration: underline;
        cursor: pointer;
        min-height: 2.75rem;
      }
      .pick:focus-visible {
        outline: 3px solid var(--kaari-focus);
      }
      .summary {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 2rem;
        margin: 0 0 0.75rem;
      }
      .summary strong {
        font-size: 1.4rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.filters = {};
    this.data = new LiveQuery(this, ['free_places', 'unit', 'area', 'code_list'], async (engine) => {
      const [units, areas, lists, places] = await Promise.all([
        engine.query('unit'),
        engine.query('area'),
        engine.query('code_list', (list) => list.id === 'referral.service_kind'),
        engine.query('free_places'),
      ]);
      const days = new Map(); // unit id → Map(date → {capacity, occupied, free}), with unsent offers applied
      for (const { data, pending } of places) {
        if (!days.has(data.unit_id)) days.set(data.unit_id, new Map());
        days.get(data.unit_id).set(data.date, { ...data, pending });
      }
      return { units, areas: areas.sort(byName), codeLists: new Map(lists.map((r) => [r.id, r.data])), days };
    });
  }

  /** The filters with their defaults: today, two weeks, at most the published window. */
  range() {
    const today = localDate();
    const lastPublished = addDays(today, PUBLISHED_DAYS - 1);
    let from = this.filters.from && this.filters.from >= today ? this.filters.from : today;
    if (from > lastPublished) from = lastPublished;
    let to = this.filters.to && this.filters.to >= from ? this.filters.to : addDays(from, DEFAULT_DAYS - 1);
    if (to > lastPublished) to = lastPublished;
    const dates = [];
    for (let day = from; day <= to; day = addDays(day, 1)) dates.push(day);
    return { from, to, dates, today, lastPublished };
  }

  change(name, value) {
    this.dispatchEvent(new CustomEvent('filter', { detail: { [name]: value || null }, bubbles: true, composed: true }));
  }

  rows(data, dates) {
    const { area_id: areaId, kind, unit_id: unitId } = this.filters;
    return data.units
      .filter((u) => (!areaId || u.data.area_id === areaId) && (!kind || u.data.kind === kind))
      .filter((u) => !unitId || u.id === unitId)
      .map((unit) => {
        const byDay = data.days.get(unit.id) ?? new Map();
        const cells = dates.map((day) => byDay.get(day) ?? null);
        const free = cells.reduce((sum, c) => sum + Math.max(0, c?.free ?? 0), 0);
        return { unit, cells, free, pending: cells.some((c) => c?.pending) };
      })
      .sort((a, b) => b.free - a.free || a.unit.data.code.localeCompare(b.unit.data.code));
  }

  renderFilters(data, range) {
    const f = this.filters;
    return html`<div class="filters" role="group" aria-label=${t('kotas.filters')}>
      <div class="field">
        <label for="area">${t('kotas.area')}</label>
        <select id="area" @change=${(e) => this.change('area_id', e.target.value)}>
          <option value="" ?selected=${!f.area_id}>${t('kotas.allAreas')}</option>
          ${data.areas.map((a) => html`<option value=${a.id} ?selected=${a.id === f.area_id}>${label(a.data.labels)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="kind">${t('kotas.kind')}</label>
        <select id="kind" @change=${(e) => this.change('kind', e.target.value)}>
          <option value="" ?selected=${!f.kind}>${t('kotas.allKinds')}</option>
          ${UNIT_KINDS.map((k) => html`<option value=${k} ?selected=${k === f.kind}>${kindName(data.codeLists, k)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="from">${t('kotas.from')}</label>
        <input id="from" type="date" min=${range.today} max=${range.lastPublished} .value=${range.from}
          @change=${(e) => this.change('from', e.target.value)} />
      </div>
      <div class="field">
        <label for="to">${t('kotas.to')}</label>
        <input id="to" type="date" min=${range.from} max=${range.lastPublished} .value=${range.to}
          @change=${(e) => this.change('to', e.target.value)} />
      </div>
    </div>`;
  }

  renderChart(rows, range) {
    const occupied = range.dates.map((_, i) => rows.reduce((s, r) => s + Math.max(0, r.cells[i]?.occupied ?? 0), 0));
    const free = range.dates.map((_, i) => rows.reduce((s, r) => s + Math.max(0, r.cells[i]?.free ?? 0), 0));
    const capacity = range.dates.map((_, i) => rows.reduce((s, r) => s + (r.cells[i]?.capacity ?? 0), 0));
    const rate = capacity.map((c, i) => (c ? (100 * Math.min(occupied[i], c)) / c : null));
    const known = rate.filter((r) => r != null);
    const average = known.length ? Math.round(known.reduce((a, b) => a + b, 0) / known.length) : 0;
    return stackedBarChart({
      id: 'occupancy',
      title: t('kotas.chartTitle'),
      summary: t('kotas.chartSummary', { days: range.dates.length, average, free: free.reduce((a, b) => a + b, 0) }),
      categories: range.dates.map((day) => ({ key: day, label: shortDay(day, { day: 'numeric', month: 'numeric' }), title: shortDay(day) })),
      series: [
        { key: 'occupied', label: t('kotas.occupied'), className: 's-brand', values: occupied },
        { key: 'free', label: t('kotas.freePlaces'), className: 's-free', values: free },
      ],
      line: { label: t('kotas.occupancyRate'), values: rate },
    });
  }

  renderCell(cell) {
    if (!cell) return html`<td class="free closed"><span aria-label=${t('kotas.noFigure')}>·</span></td>`;
    if (!cell.capacity) return html`<td class="free closed"><span aria-label=${t('kotas.closed')}>–</span></td>`;
    const kind = cell.free > 0 ? 'some' : cell.free < 0 ? 'over' : '';
    const text = t('kotas.cellTitle', { free: cell.free, occupied: cell.occupied, capacity: cell.capacity });
    return html`<td class="free ${kind}" title=${text}>${cell.free}${cell.pending ? '*' : ''}</td>`;
  }

  renderTable(data, rows, range) {
    const areas = new Map(data.areas.map((a) => [a.id, a]));
    return html`<div class="scroll" tabindex="0" role="region" aria-label=${t('kotas.boardTable')}>
      <table class="data" data-testid="board">
        <caption>${t('kotas.boardCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">${t('kotas.unit')}</th>
            <th scope="col" class="num">${t('kotas.totalFree')}</th>
            ${range.dates.map((day) => html`<th scope="col" class="num">${shortDay(day)}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            ({ unit, cells, free, pending }) => html`<tr data-testid="board-row" data-unit=${unit.data.code}
              class=${unit.id === this.filters.unit_id ? 'selected' : ''}>
              <th scope="row" class="unit">
                <button type="button" class="pick" @click=${() => this.change('unit_id', unit.id === this.filters.unit_id ? null : unit.id)}
                  aria-pressed=${unit.id === this.filters.unit_id ? 'true' : 'false'}>${label(unit.data.labels)}</button>
                <span class="muted">${label(areas.get(unit.data.area_id)?.data.labels)} · ${kindName(data.codeLists, unit.data.kind)}</span>
                ${pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
              </th>
              <td class="num" data-testid="total-free"><strong>${free}</strong></td>
              ${cells.map((cell) => this.renderCell(cell))}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  render() {
    const data = this.data.value;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    if (!data.days.size) return html`<p class="muted" data-testid="board-empty">${t('kotas.noPlaces')}</p>`;
    const range = this.range();
    const rows = this.rows(data, range.dates);
    const chosen = this.filters.unit_id ? data.units.find((u) => u.id === this.filters.unit_id) : null;
    const totalFree = rows.reduce((s, r) => s + r.free, 0);
    const freeToday = rows.reduce((s, r) => s + Math.max(0, r.cells[0]?.free ?? 0), 0);
    return html`${this.renderFilters(data, range)}
      ${chosen
        ? html`<p class="notice info" data-testid="unit-filter">
            ${t('kotas.oneUnit', { name: label(chosen.data.labels) })}
            <button type="button" class="link" @click=${() => this.change('unit_id', null)}>${t('kotas.allUnits')}</button>
          </p>`
        : ''}
      <div class="summary" role="status">
        <p><strong data-testid="free-first-day">${freeToday}</strong> ${t('kotas.freeOn', { day: shortDay(range.from) })}</p>
        <p><strong>${rows.length}</strong> ${t('kotas.unitsShown', { count: rows.length })}</p>
        <p><strong>${totalFree}</strong> ${t('kotas.placeDays', { count: totalFree })}</p>
      </div>
      ${rows.length ? this.renderChart(rows, range) : ''}
      ${rows.length ? this.renderTable(data, rows, range) : html`<p class="muted" data-testid="board-none">${t('kotas.noUnits')}</p>`}
      <p class="muted">${t('kotas.legend')}</p>`;
  }
}

customElements.define('kaari-places-board', KaariPlacesBoard);
