// What the guidance screen's parts share: dates, the statutory-deadline state of a process, staff names
// (read from the server when online and kept in memory only: they are not client data, but they are not
// synced either), a client's name, and the styles of forms and detail panels.
import { LitElement, css, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, t } from '../../i18n.js';
import { StorageFullError, currentEngine, localDate } from '../../sync/index.js';
import { named } from '../../ui/words.js';

export const DUE_SOON_DAYS = 3;
export const OPEN_ASSESSMENT = ['contacted', 'started', 'decided'];
export const OPEN_APPLICATION = ['received', 'in_process'];
// The services of `client.add_service` / `assessment.decide` / `application.receive` (server: `Service`).
export const SERVICES = [
  'home_care',
  'support_services',
  'meals',
  'safety_phone',
  'family_care_support',
  'day_activity',
  'short_term_care',
  'housing_24h',
  'personal_assistance',
  'transport_service',
  'guidance',
  'other',
];

/** Calendar days from `from` to `to` ('YYYY-MM-DD'). */
export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/**
 * 'overdue' when a process not yet started is past its deadline, 'due_soon' when the deadline is at
 * most DUE_SOON_DAYS calendar days away (the server's worklist counts working days; the device knows
 * no holidays, so it uses calendar days, which can only warn earlier), else null.
 */
export function deadlineState(assessment, today = localDate()) {
  if (assessment.status !== 'contacted' || !assessment.deadline) return null;
  const left = daysBetween(today, assessment.deadline);
  if (left < 0) return 'overdue';
  return left <= DUE_SOON_DAYS ? 'due_soon' : null;
}

export function clientName(client) {
  return client ? `${client.first_name} ${client.last_name}` : t('ohjaus.unknownClient');
}

export function ageOn(birthDate, day = localDate()) {
  if (!birthDate) return null;
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = day.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

let staff = null; // id → display name, for this page's life

/** Counsellors' names by id ({} offline until once loaded); `me` is always known. */
export async function staffNames() {
  if (staff) return staff;
  if (!navigator.onLine) return new Map();
  try {
    staff = new Map((await api('/api/assessments/counsellors')).map((c) => [c.id, c.display_name]));
  } catch {
    return new Map();
  }
  return staff;
}

export function staffName(names, id, me) {
  if (!id) return '–';
  if (id === me?.id) return me.display_name ?? t('ohjaus.me');
  return names?.get(id) ?? t('ohjaus.someCounsellor');
}

/**
 * What the parts of the guidance screen share: `user`, the counsellors' names (`names`), asking the
 * screen for a query-string change (`change`), and queuing a mutation with its local error (`mutate`).
 */
export class GuidancePart extends LitElement {
  static properties = {
    user: { attribute: false },
    error: { state: true },
  };

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.error = '';
    this.names = new Map();
  }

  connectedCallback() {
    super.connectedCallback();
    staffNames().then((names) => {
      this.names = names;
      this.requestUpdate();
    });
  }

  get isCounsellor() {
    return this.user.roles.some((g) => g.role === 'counsellor');
  }

  /** Ask the screen to change its query string ({name: value or null}). */
  change(detail) {
    this.dispatchEvent(new CustomEvent('filter', { detail, bubbles: true, composed: true }));
  }

  /**
   * Queue a mutation (it shows at once and is sent when it can be); false with `error` set if not.
   * `options`: the engine's, e.g. `{ baseVersion }` for a change of a record with `manual` fields.
   */
  async mutate(name, args, options = {}) {
    this.error = '';
    try {
      await currentEngine().mutate(name, args, options);
      return true;
    } catch (error) {
      this.error = error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected');
      return false;
    }
  }
}

/**
 * A form's write was queued: empty it for the next one (dates back to today) and fold its section. Takes
 * the form element itself: after an await, a submit event from a shadow root no longer has its target.
 */
export function formDone(form) {
  form.reset();
  for (const input of form.querySelectorAll('input[type="date"]')) input.value = localDate();
  const details = form.closest('details');
  if (details) details.open = false;
}

/** The rejections of this screen's mutations held for the user about one record (`key` in the args). */
export async function heldRejections(engine, key, id) {
  return (await engine.outcomes()).filter((o) => o.status === 'rejected' && o.args?.[key] === id);
}

/** The server's refusal of a step, in words, with a button to acknowledge it (it leaves Needs attention). */
export function rejection(outcome) {
  return html`<div class="notice error" data-testid="refusal">
    <p class="reason">${t('pta.refused', { what: named('mutation', outcome.name) })}: ${named('pta.code', outcome.code)}</p>
    <p>${outcome.message}</p>
    <button class="secondary small" type="button" @click=${() => currentEngine()?.dismiss(outcome.id)}>${t('attention.acknowledge')}</button>
  </div>`;
}


export const ohjausStyles = css`
  .split {
    display: grid;
    grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
    gap: 1.5rem;
    align-items: start;
  }
  @media (max-width: 900px) {
    .split {
      grid-template-columns: 1fr;
    }
  }
  .panel h3,
  section h3 {
    margin: 1.25rem 0 0.5rem;
  }
  dl.facts {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.3rem 1rem;
    margin: 0 0 1rem;
  }
  dl.facts dt {
    font-weight: 600;
  }
  dl.facts dd {
    margin: 0;
  }
  form.inline {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 0.5rem 1rem;
    margin: 0.5rem 0 1rem;
  }
  form.inline .field {
    margin-bottom: 0;
  }
  form.inline input:not([type='checkbox']) {
    width: auto;
  }
  form.inline input[type='number'] {
    width: 5.5rem;
  }
  ul.plain {
    list-style: none;
    margin: 0 0 1rem;
    padding: 0;
  }
  ul.plain > li {
    padding: 0.5rem 0;
    border-top: 1px solid #d5dadd;
  }
  button.link {
    background: none;
    border: 0;
    padding: 0.25rem 0;
    min-height: var(--kaari-target);
    color: var(--kaari-brand);
    text-decoration: underline;
    font: inherit;
    text-align: left;
    cursor: pointer;
  }
  tr.selected td {
    background: var(--kaari-info-bg);
  }
  .reason {
    font-weight: 600;
  }
  .person-note {
    white-space: pre-wrap; /* a close person's note keeps its line breaks */
  }
  .field .error {
    display: block;
    color: var(--kaari-error-text);
    font-weight: 600;
  }
`;
