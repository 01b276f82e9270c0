// The counsellor's screen (/ohjaaja): the contact form, today's contacts and the area's guidance
// events, and the counsellor's open tasks (an assessment or an application near its statutory limit:
// views/kaari-tasks.js), all from and into this device's replica, so it works the same with no network.
// Client names shown here are logged as views of client data (audit.viewed).
import { LitElement, css, html } from 'lit';
import { I18nController, label, t } from '../i18n.js';
import { ROUTES } from '../router.js';
import { addScreen } from '../screens.js';
import { LiveQuery, currentEngine, localDate } from '../sync/index.js';
import { queryParams } from '../ui/query.js';
import { sharedStyles } from '../ui/shared-styles.js';
import './kaari-contact-form.js';
import './kaari-events.js';
import './kaari-tasks.js';

const COUNSELLOR_TASKS = ['counsellor']; // their own (user:) and their areas' unassigned ones (area:)
addScreen({ path: ROUTES.counsellor, tag: 'kaari-ohjaaja', roles: ['counsellor'], titleKey: 'ohjaaja.title' });

/** The areas the user counsels: their counsellor grants' areas, every area for a region-wide grant. */
export function counsellorAreas(user, areas) {
  const grants = user.roles.filter((g) => g.role === 'counsellor');
  if (grants.some((g) => !g.area_id && !g.unit_id)) return areas;
  const ids = new Set(grants.map((g) => g.area_id).filter(Boolean));
  return areas.filter((a) => ids.has(a.id));
}

class KaariOhjaaja extends LitElement {
  static properties = {
    session: { attribute: false },
    areaId: { state: true },
  };

  static styles = [
    sharedStyles,
    css`
      .layout {
        display: grid;
        grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
        gap: 1.5rem;
        align-items: start;
      }
      @media (max-width: 900px) {
        .layout {
          grid-template-columns: 1fr;
        }
      }
      .page.full {
        max-width: 80rem;
      }
      .card + .card {
        margin-top: 1.5rem;
      }
      .top {
        display: flex;
        flex-wrap: wrap;
        justify-content: space-between;
        align-items: center;
        gap: 1rem;
      }
      select {
        min-height: var(--kaari-target);
        padding: 0.5rem 0.75rem;
        font: inherit;
        border: 2px solid var(--kaari-border);
        border-radius: var(--kaari-radius);
        background: var(--kaari-surface);
      }
      select:focus-visible {
        outline: 3px solid var(--kaari-focus);
        outline-offset: 2px;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      ol li {
        padding: 0.6rem 0;
        border-top: 1px solid #d5dadd;
      }
      .time {
        font-weight: 700;
        margin-right: 0.5rem;
      }
      .who {
        font-weight: 600;
      }
      .badge {
        color: var(--kaari-offline-text);
        background: var(--kaari-offline-bg);
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.areaId = null;
    this.areas = new LiveQuery(this, ['area'], (engine) => engine.query('area'));
    this.today = new LiveQuery(this, ['contact', 'client', 'code_list'], async (engine) => {
      const day = localDate();
      const me = this.session.user.id;
      const [contacts, lists] = await Promise.all([
        engine.query('contact', (c) => c.counsellor_id === me && localDate(new Date(c.occurred_at)) === day),
        engine.query('code_list', (list) => list.id.startsWith('contact.')),
      ]);
      contacts.sort((a, b) => Date.parse(b.data.occurred_at) - Date.parse(a.data.occurred_at));
      const clients = new Map();
      for (const id of new Set(contacts.map((c) => c.data.client_id).filter(Boolean))) {
        const client = await engine.get('client', id);
        if (client) clients.set(id, client.data);
      }
      return { contacts, clients, codeLists: new Map(lists.map((r) => [r.id, r.data])) };
    });
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  myAreas() {
    return counsellorAreas(this.session.user, this.areas.value ?? []).sort((a, b) => label(a.data.labels).localeCompare(label(b.data.labels)));
  }

  updated() {
    const shown = this.today.value?.clients;
    if (shown?.size) currentEngine()?.recordView([...shown.keys()], 'ohjaaja.today');
  }

  codeName(list, code) {
    return label(this.today.value.codeLists.get(list)?.codes.find((c) => c.code === code)?.labels) || code;
  }

  renderToday() {
    const data = this.today.value;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    if (!data.contacts.length) return html`<p class="muted" data-testid="no-contacts">${t('ohjaaja.noContacts')}</p>`;
    return html`<ol data-testid="today-contacts">
      ${data.contacts.map(({ data: c, pending }) => {
        const client = c.client_id ? data.clients.get(c.client_id) : null;
        return html`<li>
          <span class="time">${new Date(c.occurred_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</span>
          <span class="who">${client ? html`<a href="/ohjaus?client_id=${c.client_id}">${client.first_name} ${client.last_name}</a>` : t('ohjaaja.anonymous')}</span>
          ${pending ? html`<span class="badge">${t('common.notSent')}</span>` : ''}
          <br />
          ${this.codeName('contact.channel', c.channel)} · ${c.topics.map((x) => this.codeName('contact.topics', x)).join(', ')}
          <br /><span class="muted">${this.codeName('contact.resolution', c.resolution)}</span>
          ${client ? html` · <a href="/ohjaus?tab=assessments&open_contact=${c.id}">${t('pta.openFromContact')}</a>` : ''}
        </li>`;
      })}
    </ol>`;
  }

  render() {
    const areas = this.myAreas();
    const areaId = areas.some((a) => a.id === this.areaId) ? this.areaId : areas[0]?.id ?? null;
    return html`<main class="page full">
      <div class="card">
        <div class="top">
          <h1 tabindex="-1">${t('ohjaaja.title')}</h1>
          ${areas.length > 1
            ? html`<div class="field">
                <label for="area">${t('ohjaaja.area')}</label>
                <select id="area" @change=${(e) => (this.areaId = e.target.value)}>
                  ${areas.map((a) => html`<option value=${a.id} ?selected=${a.id === areaId}>${label(a.data.labels)}</option>`)}
                </select>
              </div>`
            : areas.length
              ? html`<p class="muted">${t('ohjaaja.areaName', { name: label(areas[0].data.labels) })}</p>`
              : ''}
        </div>
        ${areaId
          ? html`<div class="layout">
              <kaari-contact-form .areaId=${areaId} .userId=${this.session.user.id} .clientId=${queryParams().client_id ?? null}></kaari-contact-form>
              <section aria-labelledby="today-title">
                <h2 id="today-title">${t('ohjaaja.today')}</h2>
                ${this.renderToday()}
              </section>
            </div>`
          : html`<p class="muted" data-testid="no-area">${this.areas.value === undefined ? t('common.loading') : t('contact.noReference')}</p>`}
      </div>
      <section class="card" aria-labelledby="tasks-title">
        <h2 id="tasks-title">${t('tasks.heading')}</h2>
        <kaari-tasks .roles=${COUNSELLOR_TASKS} view="ohjaaja.tasks"></kaari-tasks>
      </section>
      ${areaId ? html`<div class="card"><kaari-events .areaId=${areaId}></kaari-events></div>` : ''}
    </main>`;
  }
}

customElements.define('kaari-ohjaaja', KaariOhjaaja);
