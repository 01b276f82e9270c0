// The shared tablet's lock screen: shown after the idle time, or when someone taps "Vaihda käyttäjää".
// No client data is on it. Staff with a PIN on this tablet pick their name and type the PIN (checked
// offline, lock.js); anyone can sign in with their password instead.
import { LitElement, css, html } from 'lit';
import { I18nController, t } from '../i18n.js';
import { PIN_PATTERN, pinUsers, verifyPin } from '../lock.js';
import { sharedStyles } from '../ui/shared-styles.js';

class KaariLock extends LitElement {
  static properties = {
    session: { attribute: false }, // who was working when the tablet locked
    users: { state: true },
    chosen: { state: true }, // the user whose PIN is being typed
    busy: { state: true },
    error: { state: true },
  };

  static styles = [
    sharedStyles,
    css`
      .users {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        margin: 0 0 1.5rem;
        padding: 0;
        list-style: none;
      }
      .users button[aria-pressed='true'] {
        color: var(--kaari-on-brand);
        background: var(--kaari-brand);
      }
      input {
        font-size: 1.5rem;
        letter-spacing: 0.3em;
        max-width: 14rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.users = [];
    this.chosen = null;
    this.busy = false;
    this.error = null;
  }

  async connectedCallback() {
    super.connectedCallback();
    this.users = await pinUsers();
    const current = this.users.find((u) => u.id === this.session?.user.id);
    this.choose(current ?? (this.users.length === 1 ? this.users[0] : null));
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  choose(user) {
    this.chosen = user;
    this.error = null;
    if (user) this.updateComplete.then(() => this.renderRoot.querySelector('#pin')?.focus());
  }

  async submit(event) {
    event.preventDefault();
    const input = event.target.pin;
    const pin = input.value;
    input.value = '';
    if (!PIN_PATTERN.test(pin)) {
      this.error = t('lock.pinFormat');
      return;
    }
    this.busy = true;
    try {
      const result = await verifyPin(this.chosen.id, pin);
      if (result.ok) {
        this.dispatchEvent(new CustomEvent('unlocked', { detail: { userId: this.chosen.id, session: result.session }, bubbles: true, composed: true }));
        return;
      }
      if (result.lockedOut) {
        this.dispatchEvent(new CustomEvent('pin-locked-out', { detail: { userId: this.chosen.id }, bubbles: true, composed: true }));
        this.users = await pinUsers();
        this.chosen = null;
        this.error = t('lock.lockedOut');
        return;
      }
      this.error = result.unknown ? t('lock.noPin') : t('lock.wrongPin', { count: result.remaining });
      this.updateComplete.then(() => this.renderRoot.querySelector('#pin')?.focus());
    } finally {
      this.busy = false;
    }
  }

  signInWithPassword() {
    this.dispatchEvent(new CustomEvent('lock-sign-in', { bubbles: true, composed: true }));
  }

  render() {
    return html`<main class="page">
      <div class="card" data-testid="lock-screen">
        <h1 tabindex="-1">${t('lock.title')}</h1>
        <p class="muted">${t('lock.intro')}</p>
        <div role="alert">${this.error ? html`<div class="notice error" data-testid="lock-error"><p>${this.error}</p></div>` : ''}</div>
        ${this.users.length
          ? html`<h2 id="who">${t('lock.who')}</h2>
              <ul class="users" aria-labelledby="who">
                ${this.users.map(
                  (user) => html`<li>
                    <button class="secondary" type="button" aria-pressed=${this.chosen?.id === user.id ? 'true' : 'false'} @click=${() => this.choose(user)}>
                      ${user.display_name}
                    </button>
                  </li>`,
                )}
              </ul>`
          : html`<p data-testid="no-pins">${t('lock.noPins')}</p>`}
        ${this.chosen
          ? html`<form @submit=${this.submit} novalidate>
              <div class="field">
                <label for="pin">${t('lock.pinFor', { name: this.chosen.display_name })}</label>
                <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="8" required />
              </div>
              <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? t('lock.checking') : t('lock.open')}</button>
            </form>`
          : ''}
        <p class="link-row">
          <button class="secondary" type="button" @click=${() => this.signInWithPassword()}>${t('lock.password')}</button>
        </p>
      </div>
    </main>`;
  }
}

customElements.define('kaari-lock', KaariLock);
