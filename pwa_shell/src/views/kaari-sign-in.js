// Sign-in: username and password. On an enrolled tablet it says so, and the device credential is sent
// with the sign-in (auth.js). Errors show the server's message.
import { LitElement, html } from 'lit';
import { signIn } from '../auth.js';
import { I18nController, label, t } from '../i18n.js';
import { ROUTES } from '../router.js';
import { errorText } from '../ui/error-text.js';
import { sharedStyles } from '../ui/shared-styles.js';

class KaariSignIn extends LitElement {
  static properties = {
    enrolment: { attribute: false },
    notice: { type: String }, // an i18n key: why the user is here (session ended, device wiped)
    busy: { state: true },
    error: { state: true },
  };

  static styles = sharedStyles;

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.enrolment = null;
    this.notice = '';
    this.busy = false;
    this.error = null;
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  async submit(event) {
    event.preventDefault();
    const form = event.target;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      this.error = [t('signIn.missing')];
      return;
    }
    this.busy = true;
    this.error = null;
    try {
      const session = await signIn(username, password);
      this.dispatchEvent(new CustomEvent('signed-in', { detail: session, bubbles: true, composed: true }));
    } catch (error) {
      this.error = errorText(error);
      form.password.value = '';
    } finally {
      this.busy = false;
    }
  }

  render() {
    const tablet = this.enrolment;
    return html`<main class="page">
      <div class="card">
        <h1 tabindex="-1">${t('signIn.title')}</h1>
        ${tablet
          ? html`<p class="muted" data-testid="tablet">
              ${t('signIn.tablet', { name: tablet.name })}${tablet.unit_labels ? ` – ${label(tablet.unit_labels)}` : ''}
            </p>`
          : ''}
        ${this.notice ? html`<div class="notice info" role="status"><p>${t(this.notice)}</p></div>` : ''}
        <div role="alert">
          ${this.error
            ? html`<div class="notice error" data-testid="sign-in-error">
                ${this.error.map((line) => html`<p>${line}</p>`)}
              </div>`
            : ''}
        </div>
        <form @submit=${this.submit} novalidate>
          <div class="field">
            <label for="username">${t('signIn.username')}</label>
            <input
              id="username"
              name="username"
              autocomplete="username"
              autocapitalize="none"
              spellcheck="false"
              required
            />
          </div>
          <div class="field">
            <label for="password">${t('signIn.password')}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
          </div>
          <button class="primary wide" type="submit" ?disabled=${this.busy}>
            ${this.busy ? t('signIn.busy') : t('signIn.submit')}
          </button>
        </form>
        ${tablet ? '' : html`<p class="link-row"><a href=${ROUTES.enrol}>${t('signIn.enrolLink')}</a></p>`}
      </div>
    </main>`;
  }
}

customElements.define('kaari-sign-in', KaariSignIn);
