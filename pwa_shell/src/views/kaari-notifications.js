// The notifications screen (/ilmoitukset), for every role the server notifies (coordinators, counsellors,
// admins): this device's push switch and the inbox. Coordinators have the same on a Kotas tab.
import { LitElement, html } from 'lit';
import { I18nController, t } from '../i18n.js';
import { addScreen } from '../screens.js';
import { officeStyles } from '../ui/office-styles.js';
import { sharedStyles } from '../ui/shared-styles.js';
import { INBOX_PATH, INBOX_ROLES } from './kaari-inbox.js';
import './kaari-push-switch.js';

addScreen({ path: INBOX_PATH, tag: 'kaari-notifications', roles: INBOX_ROLES, titleKey: 'inbox.title' });

class KaariNotifications extends LitElement {
  static properties = {
    session: { attribute: false },
    enrolment: { attribute: false },
    online: { type: Boolean },
  };

  static styles = [sharedStyles, officeStyles];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.online = navigator.onLine;
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  render() {
    return html`<main class="page full">
      <div class="card">
        <h1 tabindex="-1">${t('inbox.title')}</h1>
        <p class="muted">${t('inbox.intro')}</p>
        <kaari-inbox></kaari-inbox>
      </div>
      <div class="card">
        <kaari-push-switch .session=${this.session} .enrolment=${this.enrolment} .online=${this.online}></kaari-push-switch>
      </div>
    </main>`;
  }
}

customElements.define('kaari-notifications', KaariNotifications);
