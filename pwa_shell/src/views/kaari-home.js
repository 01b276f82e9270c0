// Home after sign-in: who is signed in, their roles with the names of their units and areas (from
// GET /api/reference, kept in the user's database for offline use), what they do here, and sign-out.
import { LitElement, css, html } from 'lit';
import { loadReference } from '../auth.js';
import { I18nController, label, t } from '../i18n.js';
import { sharedStyles } from '../ui/shared-styles.js';

class KaariHome extends LitElement {
  static properties = {
    session: { attribute: false },
    enrolment: { attribute: false },
    online: { type: Boolean },
    reference: { state: true },
    referenceMissing: { state: true },
    signingOut: { state: true },
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
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  updated(changed) {
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

  signOut() {
    this.signingOut = true;
    this.dispatchEvent(new CustomEvent('sign-out', { bubbles: true, composed: true }));
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
          <button class="secondary" type="button" @click=${this.signOut} ?disabled=${this.signingOut}>
            ${this.signingOut ? t('home.signingOut') : t('home.signOut')}
          </button>
        </div>
        ${this.online
          ? ''
          : html`<div class="notice info" role="status"><p>${t('connection.offlineHint')}</p></div>`}
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
        <p class="muted">${t('home.comingSoon')}</p>
      </div>
    </main>`;
  }
}

customElements.define('kaari-home', KaariHome);
