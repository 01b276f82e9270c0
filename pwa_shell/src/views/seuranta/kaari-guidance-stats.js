// Guidance statistics (GET /api/guidance/statistics/contacts and /first-contact): contacts per month for
// the region and each area the user sees, and how many first contacts were resolved at once. The server
// protects every count of people before it leaves (counts under 5, and those they could be worked out
// from, are null and named in `suppressed`): such a cell shows as hidden, never as a number. Online only.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, label, t } from '../../i18n.js';
import { LiveQuery, localDate } from '../../sync/index.js';
import { chartStyles, stackedBarChart } from '../../ui/charts.js';
import { officeStyles } from '../../ui/office-styles.js';
import { RemoteQuery, remoteNotice } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';

export const PERIODS = [3, 6, 12];
export const LEVELS = ['area', 'service_point', 'counsellor'];

/** The first month of a span of `months` months ending with this one, as YYYY-MM. */
function firstMonth(months, today = localDate()) {
  const date = new Date(`${today.slice(0, 7)}-01T12:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() - (months - 1));
  return date.toISOString().slice(0, 7);
}

function monthsBetween(from, to) {
  const found = [];
  const date = new Date(`${from}-01T12:00:00Z`);
  for (let key = from; key <= to; date.setUTCMonth(date.getUTCMonth() + 1), key = date.toISOString().slice(0, 7)) found.push(key);
  return found;
}

function monthName(month, style = 'short') {
  return new Date(`${month}-15T12:00:00`).toLocaleDateString(document.documentElement.lang || 'fi', { month: style, year: 'numeric' });
}

class KaariGuidanceStats extends LitElement {
  static properties = {
    filters: { attribute: false }, // {months, level}
  };

  static styles = [
    sharedStyles,
    officeStyles,
    chartStyles,
    css`
      table.data td.hidden {
        color: var(--kaari-muted);
        text-align: right;
      }
      th[scope='row'] {
        font-weight: 600;
        white-space: nowrap;
      }
      tr.region th,
      tr.region td {
        font-weight: 700;
        border-bottom: 2px solid var(--kaari-border);
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.filters = {};
    this.contacts = new RemoteQuery(this, () => this.fetch('contacts', { dimension: 'total' }));
    this.firsts = new RemoteQuery(this, () => this.fetch('first-contact'));
    this.places = new LiveQuery(this, ['area', 'service_point'], async (engine) => ({
      areas: new Map((await engine.query('area')).map((a) => [a.id, a.data])),
      points: new Map((await engine.query('service_point')).map((p) => [p.id, p.data])),
    }));
    this.counsellors = new RemoteQuery(this, () => api('/api/assessments/counsellors'));
  }

  get level() {
    return LEVELS.includes(this.filters.level) ? this.filters.level : LEVELS[0];
  }

  get months() {
    const months = Number(this.filters.months);
    return PERIODS.includes(months) ? months : PERIODS[1];
  }

  get span() {
    const to = localDate().slice(0, 7);
    return { from: firstMonth(this.months), to };
  }

  fetch(report, extra = {}) {
    const query = new URLSearchParams({ ...this.span, ...extra });
    return api(`/api/guidance/statistics/${report}?${query}`);
  }

  updated(changed) {
    const old = changed.get('filters');
    if (old && old.months !== this.filters.months) {
      this.contacts.refresh();
      this.firsts.refresh();
    }
  }

  change(name, value) {
    this.dispatchEvent(new CustomEvent('filter', { detail: { [name]: value }, bubbles: true, composed: true }));
  }

  /** The name of a row's group at the chosen level (a service point and a counsellor with their area). */
  groupName(row) {
    const { areas, points } = this.places.value ?? { areas: new Map(), points: new Map() };
    const area = label(areas.get(row.area_id)?.labels) || t('scope.unknown');
    if (row.level === 'region') return t('stats.region');
    if (row.level === 'area') return area;
    if (row.level === 'service_point') {
      const point = row.service_point_id ? label(points.get(row.service_point_id)?.labels) : t('stats.noServicePoint');
      return `${point || t('scope.unknown')} (${area})`;
    }
    const person = this.counsellors.value?.find((c) => c.id === row.counsellor_id)?.display_name;
    return `${person ?? t('stats.counsellor')} (${area})`;
  }

  /** Rows of the region and the groups of the chosen level: [{key, name, region, cells: Map(month → row)}]. */
  groups(rows) {
    const found = new Map();
    for (const row of rows) {
      if (row.level !== 'region' && row.level !== this.level) continue;
      const key = [row.level, row.area_id, row.service_point_id, row.counsellor_id].join('|');
      if (!found.has(key)) found.set(key, { key, name: this.groupName(row), region: row.level === 'region', cells: new Map() });
      found.get(key).cells.set(row.month, row);
    }
    return [...found.values()].sort((a, b) => b.region - a.region || a.name.localeCompare(b.name));
  }

  hidden() {
    return html`<td class="hidden" data-testid="suppressed"><span aria-hidden="true">•</span><span class="visually-hidden">${t('stats.hidden')}</span></td>`;
  }

  none() {
    return html`<td class="num">–</td>`;
  }

  renderTable(id, caption, groups, months, cell) {
    return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="${id}-caption">
      <table class="data" data-testid=${id}>
        <caption id="${id}-caption">${caption}</caption>
        <thead>
          <tr>
            <th scope="col">${t(`stats.level.${this.level}`)}</th>
            ${months.map((m) => html`<th scope="col" class="num">${monthName(m)}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${groups.map(
            (g) => html`<tr class=${g.region ? 'region' : ''}>
              <th scope="row">${g.name}</th>
              ${months.map((m) => cell(g.cells.get(m)))}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  render() {
    const { from, to } = this.span;
    const months = monthsBetween(from, to);
    const contacts = this.groups(this.contacts.value?.rows ?? []);
    const firsts = this.groups(this.firsts.value?.rows ?? []);
    const region = contacts.find((g) => g.region);
    const regionFirsts = firsts.find((g) => g.region);
    return html`<section aria-labelledby="stats-title">
      <h2 id="stats-title">${t('stats.title')}</h2>
      <div class="filters" role="group" aria-label=${t('kotas.filters')}>
        <div class="field">
          <label for="stats-months">${t('stats.period')}</label>
          <select id="stats-months" @change=${(e) => this.change('months', e.target.value)}>
            ${PERIODS.map((m) => html`<option value=${m} ?selected=${m === this.months}>${t('stats.months', { count: m })}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="stats-level">${t('stats.level')}</label>
          <select id="stats-level" @change=${(e) => this.change('level', e.target.value)}>
            ${LEVELS.map((l) => html`<option value=${l} ?selected=${l === this.level}>${t(`stats.level.${l}`)}</option>`)}
          </select>
        </div>
      </div>
      ${remoteNotice(this.contacts)}
      ${region
        ? stackedBarChart({
            id: 'contacts-chart',
            title: t('stats.chartTitle'),
            summary: t('stats.chartSummary', { from: monthName(from, 'long'), to: monthName(to, 'long') }),
            categories: months.map((m) => ({ key: m, label: monthName(m) })),
            series: [{ key: 'contacts', label: t('stats.contacts'), className: 's-brand', values: months.map((m) => region.cells.get(m)?.contacts ?? 0) }],
            line: { label: t('stats.resolvedShare'), values: months.map((m) => regionFirsts?.cells.get(m)?.resolved_percent ?? null) },
          })
        : ''}
      ${contacts.length
        ? this.renderTable('contact-stats', t('stats.contactsCaption'), contacts, months, (row) =>
            !row ? this.none() : row.contacts == null ? this.hidden() : html`<td class="num">${row.contacts}</td>`,
          )
        : ''}
      ${firsts.length
        ? this.renderTable('first-contact-stats', t('stats.firstCaption'), firsts, months, (row) =>
            !row
              ? this.none()
              : row.suppressed.length
                ? this.hidden()
                : row.resolved_percent == null
                  ? this.none()
                  : html`<td class="num">${Math.round(row.resolved_percent)} %<br /><span class="muted">${row.resolved}/${row.first_contacts}</span></td>`,
          )
        : ''}
      ${contacts.length ? html`<p class="muted" data-testid="suppression-note">${t('stats.suppressionNote')}</p>` : ''}
    </section>`;
  }
}

customElements.define('kaari-guidance-stats', KaariGuidanceStats);
