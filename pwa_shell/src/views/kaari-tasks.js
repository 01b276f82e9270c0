// The open tasks of one role, the same element on every screen that has them (/paiva and /hoiva: the
// unit's staff, /kotas: the coordinators, /ohjaaja: the counsellor). A task is opened by the server (a
// no-show's follow-up, the reconciliation jobs: server/tasks, docs/domains.md "Tasks") and reaches only
// the devices of its role's scope; here it gets a title and a one-line explanation for its kind (from its
// `details`), a link to what it is about where a screen for that exists, and "done", which records the
// outcome with `task.complete`: queued on this device and sent when there is a network.
import { LitElement, css, html } from 'lit';
import { I18nController, label, language, t } from '../i18n.js';
import { LiveQuery, StorageFullError, currentEngine } from '../sync/index.js';
import { sharedStyles } from '../ui/shared-styles.js';
import { fullName, shortDate } from './unit/units.js';

/** Where a task's record is shown, if a screen shows it: [href, i18n key of the link]. */
function linkOf(task) {
  const d = task.details ?? {};
  if (task.about_type === 'assessment') return [`/ohjaus?tab=assessments&assessment_id=${task.about_id}`, 'tasks.open.assessment'];
  if (task.about_type === 'application') return [`/ohjaus?tab=applications&application_id=${task.about_id}`, 'tasks.open.application'];
  if (task.kind === 'over_capacity') return [`/kotas?tab=board&unit_id=${task.unit_id}&from=${task.date}`, 'tasks.open.board'];
  if (['overlapping_stays', 'stay_during_residency', 'overlapping_residencies'].includes(task.kind)) return [`/kotas?tab=board&unit_id=${d.unit_ids?.[0] ?? ''}&from=${d.from ?? task.date}`, 'tasks.open.board'];
  return null; // a unit's own day or attendance: the screen the list is on shows it
}

/** The text of a known kind's key, or null (t() answers the key itself for a missing one). */
function known(key, params) {
  const text = t(key, params);
  return text === key ? null : text;
}

class KaariTasks extends LitElement {
  static properties = {
    roles: { attribute: false }, // the task roles listed here, e.g. ['coordinator']
    unitId: { attribute: false }, // only this unit's tasks (the unit screens), or null: any
    view: { type: String }, // the access log's name for this list (a task may name a client)
    closing: { state: true }, // the task whose outcome is being written
    message: { state: true }, // {kind, text} after a write
  };

  static styles = [
    sharedStyles,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        padding: 0.75rem 0;
        border-bottom: 1px solid var(--kaari-border);
      }
      li:last-child {
        border-bottom: 0;
      }
      p {
        margin: 0.25rem 0;
      }
      form.inline {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        margin-top: 0.5rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.roles = [];
    this.unitId = null;
    this.view = 'tasks';
    this.closing = null;
    this.message = null;
    this.data = new LiveQuery(this, ['task', 'client', 'close_person', 'unit'], (engine) => this.load(engine));
  }

  willUpdate(changed) {
    if (changed.has('roles') || changed.has('unitId')) this.data.refresh(); // another unit picked
  }

  async load(engine) {
    const roles = new Set(this.roles ?? []);
    const unitId = this.unitId;
    const rows = await engine.query(
      'task',
      (task) => task.status === 'open' && roles.has(task.role) && (!unitId || task.unit_id === unitId),
    );
    const tasks = rows
      .map((r) => ({ ...r.data, pending: r.pending }))
      .sort((a, b) => (a.due ?? a.date ?? '').localeCompare(b.due ?? b.date ?? '') || a.kind.localeCompare(b.kind));
    const clients = new Map();
    for (const id of new Set(tasks.map((task) => task.client_id).filter(Boolean))) {
      const client = await engine.get('client', id);
      if (client) clients.set(id, client.data);
    }
    const contacts = new Map(); // a no-show's client's primary close person: whom to call
    const calls = new Set(tasks.filter((task) => task.kind === 'call_family').map((task) => task.client_id));
    if (calls.size) {
      for (const { data } of await engine.query('close_person', (p) => calls.has(p.client_id) && !p.removed_at)) {
        if (!contacts.has(data.client_id) || data.primary_contact) contacts.set(data.client_id, data);
      }
    }
    const units = new Map((await engine.query('unit')).map((u) => [u.id, label(u.data.labels)]));
    return { tasks, clients, contacts, units };
  }

  updated() {
    const shown = this.data.value?.clients;
    if (shown?.size) currentEngine()?.recordView([...shown.keys()], this.view);
  }

  /** The title and the one-line explanation of a task, in the user's language. */
  describe(task) {
    const { clients, units } = this.data.value;
    const d = task.details ?? {};
    const day = (value) => (value ? shortDate(value, language()) : '');
    const unitNames = (ids) => (ids ?? []).map((id) => units.get(id) || t('tasks.unknownUnit')).join(', ');
    const params = {
      name: task.client_id ? fullName(clients.get(task.client_id)) || t('tasks.unknownClient') : '',
      unit: units.get(task.unit_id) || t('tasks.unknownUnit'),
      date: day(task.date),
      due: day(task.due),
      counted: d.counted,
      computed: d.computed,
      others: unitNames(d.other_unit_ids),
      units: unitNames(d.unit_ids),
      from: day(d.from),
      to: day(d.to),
      capacity: d.capacity,
      occupied: d.occupied,
      count: d.days_over ?? 0,
      contact: day(d.contact_on),
      received: day(d.received_on),
    };
    // A client this device does not hold (coordinators hold stays, not clients: minimal data) goes unnamed.
    const nameless = task.client_id && !clients.has(task.client_id) ? known(`tasks.titleNoName.${task.kind}`, params) : null;
    const title =
      nameless ??
      known(`tasks.title.${task.kind}`, params) ??
      (params.name ? t('tasks.title.other', params) : t('tasks.title.unit', { kind: task.kind }));
    return { title, explanation: known(`tasks.explain.${task.kind}`, params) };
  }

  async complete(event, task) {
    event.preventDefault();
    const outcome = event.target.outcome.value.trim();
    if (!outcome) return;
    this.closing = null;
    try {
      await currentEngine().mutate('task.complete', { task_id: task.id, outcome });
      this.message = { kind: 'info', text: t('tasks.completed') };
    } catch (error) {
      const text = error instanceof StorageFullError ? t('sync.storageFull') : String(error.message ?? error);
      this.message = { kind: 'error', text };
    }
  }

  renderTask(task) {
    const { title, explanation } = this.describe(task);
    const contact = task.kind === 'call_family' ? this.data.value.contacts.get(task.client_id) : null;
    const link = linkOf(task);
    const when = task.due ? t('tasks.due', { date: shortDate(task.due, language()) }) : task.date ? shortDate(task.date, language()) : '';
    return html`<li data-testid="task" data-kind=${task.kind} data-task=${task.id}>
      <p>
        <strong>${title}</strong>
        ${when ? html`<span class="muted"> · ${when}</span>` : ''}
        ${task.pending ? html`<span class="badge">${t('common.notSent')}</span>` : ''}
      </p>
      ${explanation ? html`<p data-testid="task-explanation">${explanation}</p>` : ''}
      ${contact
        ? html`<p>${t('tasks.callWho', { name: contact.name, relation: contact.relation ?? '' })}
            ${contact.phone ? html`<a href=${`tel:${contact.phone}`}>${contact.phone}</a>` : ''}</p>`
        : ''}
      ${link ? html`<p><a href=${link[0]}>${t(link[1])}</a></p>` : ''}
      ${this.closing === task.id
        ? html`<form class="inline" @submit=${(e) => this.complete(e, task)}>
            <label for="outcome">${known(`tasks.outcome.${task.kind}`) ?? t('tasks.outcome')}</label>
            <input id="outcome" name="outcome" required maxlength="500" />
            <button class="primary" type="submit">${t('tasks.complete')}</button>
            <button class="secondary" type="button" @click=${() => (this.closing = null)}>${t('attention.cancel')}</button>
          </form>`
        : html`<button class="secondary" type="button" aria-label=${t('tasks.doneFor', { title })} @click=${() => this.openForm(task)}>
            ${t('tasks.done')}
          </button>`}
    </li>`;
  }

  openForm(task) {
    this.closing = task.id;
    this.updateComplete.then(() => this.renderRoot.querySelector('#outcome')?.focus());
  }

  render() {
    const data = this.data.value;
    const notice = html`<div aria-live="polite" data-testid="task-notice">
      ${this.message ? html`<div class="notice ${this.message.kind}"><p>${this.message.text}</p></div>` : ''}
    </div>`;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    if (!data.tasks.length) return html`${notice}<p class="muted" data-testid="no-tasks">${t('tasks.none')}</p>`;
    return html`${notice}<ul data-testid="tasks">${data.tasks.map((task) => this.renderTask(task))}</ul>`;
  }
}

customElements.define('kaari-tasks', KaariTasks);
