// Home after sign-in: who is signed in, their roles with the names of their units and areas (from
// GET /api/reference, kept in the user's database for offline use), what they do here, and sign-out.
import { LitElement, css, html } from 'lit';
import { loadReference } from '../auth.js';
import { I18nController, label, t } from '../i18n.js';
import { PIN_PATTERN, forgetPin, hasPin, setPin } from '../lock.js';
import { ROUTES } from '../router.js';
import { screensFor, unitKindsOf } from '../screens.js';
import { SyncStatusController } from '../sync/index.js';
import { sharedStyles } from '../ui/shared-styles.js';

class KaariHome extends LitElement {
  static properties = {
    session: { attribute: false },
    enrolment: { attribute: false },
    online: { type: Boolean },
    reference: { state: true },
    referenceMissing: { state: true },
    signingOut: { state: true },
    unsentWarning: { state: true }, // unsent entries a personal device's sign-out would erase
    pinSet: { state: true }, // on a shared tablet: has this user a quick-switch PIN here
    pinNotice: { state: true }, // {kind, text} after setting or removing it
  };

  static styles = [
    sharedStyles,
    css`
      .top {
        display: flex;
        flex-wrap: wrap;
        justify-content: space-between;
        align-items: flex-start;
        gap: 1rem;
      }
      ul {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      li {
        padding: 0.75rem 0;
        border-top: 1px solid #d5dadd;
      }
      .role {
        font-weight: 600;
      }
      .screens {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        margin-bottom: 0.5rem;
      }
      .screens a {
        display: inline-flex;
        align-items: center;
        min-height: var(--kaari-target);
        padding: 0.5rem 1.5rem;
        color: var(--kaari-on-brand);
        background: var(--kaari-brand);
        border-radius: var(--kaari-radius);
        text-decoration: none;
      }
      form.pin {
        max-width: 20rem;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        margin-top: 0.75rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.session = null;
    this.enrolment = null;
    this.online = true;
    this.reference = null;
    this.referenceMissing = false;
    this.signingOut = false;
    this.unsentWarning = 0;
    this.pinSet = false;
    this.pinNotice = null;
    this.sync = new SyncStatusController(this);
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  updated(changed) {
    if (changed.has('session') && this.session) hasPin(this.session.user.id).then((set) => (this.pinSet = set));
    // Load once, and again when the connection returns (the stored copy may be old).
    if (changed.has('session') || (changed.has('online') && this.online && changed.get('online') === false)) {
      this.refresh();
    }
  }

  async refresh() {
    if (!this.session) return;
    try {
      this.reference = await loadReference(this.session.user.id);
      this.referenceMissing = false;
    } catch {
      this.referenceMissing = !this.reference; // nothing stored yet and no connection
    }
  }

  /**
   * A personal device erases the user's replica at sign-out: try to send what is unsent first, and
   * if something is still unsent, say so and let the user choose. A shared tablet keeps the outbox
   * and sends it with its device credential after the user has gone.
   */
  async signOut({ force = false } = {}) {
    this.signingOut = true;
    const engine = this.sync.engine;
    if (!force && !this.enrolment && engine) {
      if (engine.status.pending && engine.status.online) await engine.syncNow();
      if (engine.status.pending) {
        this.unsentWarning = engine.status.pending;
        this.signingOut = false;
        return;
      }
    }
    this.dispatchEvent(new CustomEvent('sign-out', { bubbles: true, composed: true }));
  }

  async savePin(event) {
    event.preventDefault();
    const form = event.target;
    const [pin, again] = [form.pin.value, form.again.value];
    form.reset();
    if (!PIN_PATTERN.test(pin)) this.pinNotice = { kind: 'error', text: t('lock.pinFormat') };
    else if (pin !== again) this.pinNotice = { kind: 'error', text: t('pin.mismatch') };
    else {
      await setPin(this.session, pin);
      this.pinSet = true;
      this.pinNotice = { kind: 'info', text: t('pin.saved') };
    }
  }

  async removePin() {
    await forgetPin(this.session.user.id);
    this.pinSet = false;
    this.pinNotice = { kind: 'info', text: t('pin.removed') };
  }

  /** On a shared tablet: the user's quick-switch PIN (set, or set it). */
  renderPin() {
    return html`<h2 id="pin-title">${t('pin.title')}</h2>
      <div role="status">${this.pinNotice ? html`<div class="notice ${this.pinNotice.kind}" data-testid="pin-notice"><p>${this.pinNotice.text}</p></div>` : ''}</div>
      ${this.pinSet
        ? html`<p>${t('pin.isSet')}</p>
            <button class="secondary" type="button" @click=${() => this.removePin()}>${t('pin.remove')}</button>`
        : html`<p class="muted">${t('pin.intro')}</p>
            <form class="pin" @submit=${this.savePin} novalidate aria-labelledby="pin-title">
              <div class="field">
                <label for="new-pin">${t('pin.new')}</label>
                <input id="new-pin" name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="8" />
              </div>
              <div class="field">
                <label for="new-pin-again">${t('pin.again')}</label>
                <input id="new-pin-again" name="again" type="password" inputmode="numeric" autocomplete="off" maxlength="8" />
              </div>
              <button class="primary" type="submit">${t('pin.save')}</button>
            </form>`}`;
  }

  scopeName(grant) {
    if (!grant.unit_id && !grant.area_id) return t('scope.all');
    if (!this.reference) return null; // names not loaded (yet)
    const find = (list, id) => label(list?.find((item) => item.id === id)?.labels) || t('scope.unknown');
    if (grant.unit_id) {
      const unit = this.reference.units.find((u) => u.id === grant.unit_id);
      const area = find(this.reference.areas, unit?.area_id);
      return t('scope.unit', { name: find(this.reference.units, grant.unit_id), area });
    }
    return t('scope.area', { name: find(this.reference.areas, grant.area_id) });
  }

  render() {
    const { user } = this.session;
    const roles = [...new Set(user.roles.map((grant) => grant.role))];
    const tablet = this.enrolment;
    return html`<main class="page wide">
      <div class="card">
        <div class="top">
          <div>
            <h1 tabindex="-1" data-testid="greeting">${t('home.greeting', { name: user.display_name })}</h1>
            <p class="muted">${t('home.signedInAs', { username: user.username })}</p>
            <p class="muted" data-testid="device">
              ${tablet
                ? html`${t('home.sharedDevice', { name: tablet.name })}${tablet.unit_labels
                    ? ` – ${label(tablet.unit_labels)}`
                    : ''}`
                : t('home.personalDevice')}
            </p>
          </div>
          <button class="secondary" type="button" @click=${() => this.signOut()} ?disabled=${this.signingOut}>
            ${this.signingOut ? t('home.signingOut') : t('home.signOut')}
          </button>
        </div>
        ${this.unsentWarning
          ? html`<div class="notice error" role="alert" data-testid="unsent-warning">
              <p>${t('home.unsentWarning', { count: this.unsentWarning })}</p>
              <div class="actions">
                <button class="secondary" type="button" @click=${() => (this.unsentWarning = 0)}>${t('home.keepSignedIn')}</button>
                <button class="secondary" type="button" @click=${() => this.signOut({ force: true })}>${t('home.signOutAnyway')}</button>
              </div>
            </div>`
          : ''}
        <h2>${t('home.screens')}</h2>
        <nav class="screens" aria-label=${t('home.screens')}>
          ${screensFor(user, unitKindsOf(user, this.enrolment, this.reference?.units)).map((screen) => html`<a href=${screen.path}>${t(screen.titleKey)}</a>`)}
          <a href=${ROUTES.attention}>${t('home.attention')}${this.sync.status?.attention ? ` (${this.sync.status.attention})` : ''}</a>
        </nav>
        ${this.online
          ? ''
          : html`<div class="notice info" role="status"><p>${t('connection.offlineHint')}</p></div>`}
        ${tablet ? this.renderPin() : ''}
        <h2>${t('home.roles')}</h2>
        ${this.referenceMissing ? html`<p class="muted">${t('home.referenceMissing')}</p>` : ''}
        <ul data-testid="roles">
          ${user.roles.map((grant) => {
            const scope = this.scopeName(grant);
            return html`<li><span class="role">${t(`role.${grant.role}`)}</span>${scope ? ` · ${scope}` : ''}</li>`;
          })}
        </ul>
        <h2>${t('home.work')}</h2>
        <ul>
          ${roles.map((role) => html`<li>${t(`work.${role}`)}</li>`)}
        </ul>
      </div>
    </main>`;
  }
}

customElements.define('kaari-home', KaariHome);
