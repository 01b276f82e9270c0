// The base of the unit screens (/paiva, /hoiva): the heading with the unit's name and the day, the unit
// picker for staff of several units, the notice line after a write, and writing itself.
import { LitElement, html } from 'lit';
import { I18nController, label, language, t } from '../../i18n.js';
import { StorageFullError, currentEngine } from '../../sync/index.js';
import { shortDate } from './units.js';

export class UnitScreen extends LitElement {
  static properties = {
    session: { attribute: false },
    enrolment: { attribute: false },
    unitId: { state: true }, // the picked unit (null: the first)
    message: { state: true }, // {kind: 'info' | 'error', text} after a write
    absence: { state: true }, // what the absence dialog (#absence-dialog) records, while it is open
  };

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.unitId = null;
    this.message = null;
    this.absence = null;
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  /** Queue a mutation (shown at once, sent when possible); `done` is said in the notice line. */
  async write(name, args, done) {
    try {
      await currentEngine().mutate(name, args);
      this.message = { kind: 'info', text: done };
      return true;
    } catch (error) {
      const text = error instanceof StorageFullError ? t('sync.storageFull') : String(error.message ?? error);
      this.message = { kind: 'error', text };
      return false;
    }
  }

  /** Open the absence dialog for `absence` (the screen's own fields), once it has rendered. */
  openAbsence(absence) {
    this.absence = absence;
    this.updateComplete.then(() => this.renderRoot.querySelector('#absence-dialog')?.showModal());
  }

  closeAbsence() {
    this.renderRoot.querySelector('#absence-dialog')?.close();
    this.absence = null;
  }

  /**
   * The absence dialog: `body` (the screen's fields) in a form that calls the screen's saveAbsence(event),
   * with the error of the last try and the save and cancel buttons.
   */
  renderAbsenceDialog({ title, body, save, canSave = true }) {
    return html`<dialog id="absence-dialog" aria-labelledby="absence-title" @close=${() => (this.absence = null)}>
      ${this.absence
        ? html`<form @submit=${(e) => this.saveAbsence(e)} novalidate>
            <h2 id="absence-title">${title}</h2>
            ${this.absence.error ? html`<div class="notice error" role="alert"><p>${this.absence.error}</p></div>` : ''}
            ${body}
            <div class="actions">
              <button class="primary" type="submit" ?disabled=${!canSave}>${save}</button>
              <button class="secondary" type="button" @click=${() => this.closeAbsence()}>${t('attention.cancel')}</button>
            </div>
          </form>`
        : ''}
    </dialog>`;
  }

  /** While loading, or with no unit of this screen's kinds: the heading and why there is nothing. */
  renderNoUnit(titleKey, data, noUnitKey) {
    const text = data ? t(noUnitKey) : t('common.loading');
    return html`<main class="page full"><div class="card"><h1 tabindex="-1">${t(titleKey)}</h1>
      <p class="muted" data-testid=${data ? 'no-unit' : 'loading'}>${text}</p></div></main>`;
  }

  /** The heading, the unit's name and the day, the unit picker, and the notice line. */
  renderTop(titleKey, data) {
    return html`<div class="top">
        <div>
          <h1 tabindex="-1">${t(titleKey)}</h1>
          <p class="muted" data-testid="unit-name">${label(data.unit.data.labels)} · ${shortDate(data.today, language())}</p>
        </div>
        ${data.units.length > 1
          ? html`<div class="field">
              <label for="unit">${t('unit.choose')}</label>
              <select id="unit" @change=${(e) => this.pickUnit(e.target.value)}>
                ${data.units.map((u) => html`<option value=${u.id} ?selected=${u.id === data.unit.id}>${label(u.data.labels)}</option>`)}
              </select>
            </div>`
          : ''}
      </div>
      <div aria-live="polite" data-testid="unit-notice">
        ${this.message ? html`<div class="notice ${this.message.kind}"><p>${this.message.text}</p></div>` : ''}
      </div>`;
  }

  pickUnit(unitId) {
    this.unitId = unitId;
    this.data.refresh();
  }
}
