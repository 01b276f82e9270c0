// The bar on every screen: app name, connection status (text and colour, never colour alone) and the
// language switcher.
import { LitElement, css, html } from 'lit';
import { I18nController, LANGUAGES, language, setLanguage, t } from '../i18n.js';
import { ROUTES } from '../router.js';
import './kaari-inbox.js';

class KaariHeader extends LitElement {
  static properties = {
    online: { type: Boolean },
    signedIn: { type: Boolean },
    tablet: { type: Boolean },
    inbox: { type: Boolean }, // the user's roles get notifications: a link to them with the unread count
  };

  static styles = css`
    :host {
      display: block;
      color: var(--kaari-on-brand);
      background: var(--kaari-brand);
    }
    header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.75rem 1.5rem;
      max-width: 60rem;
      margin: 0 auto;
      padding: 0.5rem 1rem;
    }
    .brand {
      flex: 1 1 auto;
    }
    .name {
      font-size: 1.5rem;
      font-weight: 700;
      margin: 0;
    }
    .tagline {
      font-size: 0.9rem;
      margin: 0;
    }
    .status {
      display: inline-flex;
      align-items: center;
      gap: 0.5rem;
      padding: 0.25rem 0.75rem;
      border-radius: 999px;
      font-weight: 600;
    }
    .status::before {
      content: '';
      width: 0.75rem;
      height: 0.75rem;
      border-radius: 50%;
      background: currentColor;
    }
    .status.online {
      color: var(--kaari-online-text);
      background: var(--kaari-online-bg);
    }
    .status.offline {
      color: var(--kaari-offline-text);
      background: var(--kaari-offline-bg);
    }
    .status.offline::before {
      background: transparent;
      border: 2px solid currentColor;
    }
    .languages {
      display: flex;
      gap: 0.25rem;
      border: 0;
      margin: 0;
      padding: 0;
    }
    .languages legend {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
    }
    .languages button {
      min-height: var(--kaari-target);
      min-width: var(--kaari-target);
      padding: 0.25rem 0.75rem;
      font: inherit;
      color: var(--kaari-on-brand);
      background: transparent;
      border: 2px solid var(--kaari-on-brand);
      border-radius: var(--kaari-radius);
      cursor: pointer;
    }
    .languages button[aria-pressed='true'] {
      color: var(--kaari-brand);
      background: var(--kaari-on-brand);
      font-weight: 700;
    }
    nav {
      display: flex;
      align-items: center;
      gap: 0.5rem;
    }
    nav button {
      min-height: var(--kaari-target);
      padding: 0.25rem 0.75rem;
      font: inherit;
      font-weight: 600;
      color: var(--kaari-on-brand);
      background: transparent;
      border: 2px solid var(--kaari-on-brand);
      border-radius: var(--kaari-radius);
      cursor: pointer;
    }
    nav a {
      display: inline-flex;
      align-items: center;
      min-height: var(--kaari-target);
      padding: 0 0.75rem;
      color: var(--kaari-on-brand);
      font-weight: 600;
    }
    nav a:focus-visible,
    nav button:focus-visible,
    .languages button:focus-visible {
      outline: 3px solid var(--kaari-offline-bg);
      outline-offset: 2px;
    }
  `;

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.online = true;
    this.signedIn = false;
    this.tablet = false;
    this.inbox = false;
  }

  lock() {
    this.dispatchEvent(new CustomEvent('lock', { bubbles: true, composed: true }));
  }

  render() {
    const current = language();
    return html`<header>
      <div class="brand">
        <p class="name">Kaari</p>
        <p class="tagline">${t('app.tagline')}</p>
      </div>
      ${this.signedIn
        ? html`<nav aria-label=${t('nav.label')}>
            <a href=${ROUTES.home}>${t('nav.home')}</a>
            ${this.inbox ? html`<kaari-inbox-link></kaari-inbox-link>` : ''}
            ${this.tablet ? html`<button type="button" @click=${() => this.lock()}>${t('lock.switch')}</button>` : ''}
          </nav>`
        : ''}
      <span class="status ${this.online ? 'online' : 'offline'}" role="status" data-testid="connection">
        ${this.online ? t('connection.online') : t('connection.offline')}
      </span>
      <fieldset class="languages">
        <legend>${t('language.label')}</legend>
        ${LANGUAGES.map(
          ({ code, name }) => html`<button
            type="button"
            lang=${code}
            aria-pressed=${code === current ? 'true' : 'false'}
            @click=${() => setLanguage(code)}
          >
            ${name}
          </button>`,
        )}
      </fieldset>
    </header>`;
  }
}

customElements.define('kaari-header', KaariHeader);
