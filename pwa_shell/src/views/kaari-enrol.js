// Tablet enrolment (/enrol): type the one-time code an admin gave; the device credential and unit are
// kept in the kaari-device database.
import { LitElement, html } from 'lit';
import { enrol } from '../auth.js';
import { I18nController, label, t } from '../i18n.js';
import { ROUTES } from '../router.js';
import { errorText } from '../ui/error-text.js';
import { sharedStyles } from '../ui/shared-styles.js';

class KaariEnrol extends LitElement {
  static properties = {
    enrolment: { attribute: false },
    busy: { state: true },
    error: { state: true },
    done: { state: true },
  };

  static styles = sharedStyles;

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.enrolment = null;
    this.busy = false;
    this.error = null;
    this.done = false;
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  async submit(event) {
    event.preventDefault();
    const code = event.target.code.value.trim();
    if (!code) {
      this.error = [t('enrol.missing')];
      return;
    }
    this.busy = true;
    this.error = null;
    try {
      const enrolment = await enrol(code);
      this.done = true;
      this.dispatchEvent(new CustomEvent('enrolled', { detail: enrolment, bubbles: true, composed: true }));
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
    }
  }

  renderEnrolled() {
    const { name, unit_labels: unit } = this.enrolment;
    const text = t(this.done ? 'enrol.done' : 'enrol.already', { name });
    return html`<div class="notice info" role="status" data-testid="enrolled">
        <p>${text}</p>
        ${unit ? html`<p>${t('enrol.unit', { name: label(unit) })}</p>` : ''}
      </div>
      <p class="link-row"><a href=${ROUTES.home}>${t('enrol.toSignIn')}</a></p>`;
  }

  renderForm() {
    return html`<p>${t('enrol.intro')}</p>
      <div role="alert">
        ${this.error
          ? html`<div class="notice error">${this.error.map((line) => html`<p>${line}</p>`)}</div>`
          : ''}
      </div>
      <form @submit=${this.submit} novalidate>
        <div class="field">
          <label for="code">${t('enrol.code')}</label>
          <span class="hint" id="code-hint">${t('enrol.codeHint')}</span>
          <input
            id="code"
            name="code"
            aria-describedby="code-hint"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck="false"
            required
          />
        </div>
        <button class="primary wide" type="submit" ?disabled=${this.busy}>
          ${this.busy ? t('enrol.busy') : t('enrol.submit')}
        </button>
      </form>
      <p class="link-row"><a href=${ROUTES.home}>${t('enrol.toSignIn')}</a></p>`;
  }

  render() {
    return html`<main class="page">
      <div class="card">
        <h1 tabindex="-1">${t('enrol.title')}</h1>
        ${this.enrolment ? this.renderEnrolled() : this.renderForm()}
      </div>
    </main>`;
  }
}

customElements.define('kaari-enrol', KaariEnrol);
