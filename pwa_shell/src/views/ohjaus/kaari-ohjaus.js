// The guidance screen (/ohjaus) for counsellors and their supervisor: the client record with its 360
// timeline, the service-needs assessments (PTA) with their statutory deadlines and steps, and the
// applications with their handlers. Records, assessments and applications come from this device's
// replica and every step is a mutation, so all of it works offline; the 360 timeline is computed by the
// server and shown online only. The tab and the open record are in the query string
// (/ohjaus?client_id=…, /ohjaus?tab=assessments&assessment_id=…), so links open the right view.
import { LitElement, html } from 'lit';
import { I18nController, t } from '../../i18n.js';
import { addScreen } from '../../screens.js';
import { officeStyles } from '../../ui/office-styles.js';
import { QueryController } from '../../ui/query.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { tabList, tabPanel, tabStyles } from '../../ui/tabs.js';
import './mutators.js';
import './kaari-client-record.js';
import './kaari-assessments.js';
import './kaari-applications.js';

const TABS = ['clients', 'assessments', 'applications'];

addScreen({ path: '/ohjaus', tag: 'kaari-ohjaus', roles: ['counsellor', 'supervisor'], titleKey: 'ohjaus.title' });

class KaariOhjaus extends LitElement {
  static properties = {
    session: { attribute: false },
    online: { type: Boolean },
  };

  static styles = [sharedStyles, officeStyles, tabStyles];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.query = new QueryController(this, TABS);
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  renderPanel() {
    const p = this.query.params;
    const user = this.session.user;
    if (this.query.tab === 'assessments') {
      return html`<kaari-assessments .user=${user} .filters=${{ assessment_id: p.assessment_id ?? null, open_client: p.open_client ?? null, open_contact: p.open_contact ?? null, who: p.who ?? null }}></kaari-assessments>`;
    }
    if (this.query.tab === 'applications') {
      return html`<kaari-applications .user=${user} .filters=${{ application_id: p.application_id ?? null, status: p.status ?? null, handler_id: p.handler_id ?? null }}></kaari-applications>`;
    }
    return html`<kaari-client-record .user=${user} .online=${this.online} .clientId=${p.client_id ?? null}></kaari-client-record>`;
  }

  render() {
    const tabs = TABS.map((id) => ({ id, label: t(`ohjaus.tab.${id}`) }));
    return html`<main class="page full">
      <div class="card">
        <h1 tabindex="-1">${t('ohjaus.title')}</h1>
        ${tabList({ label: t('ohjaus.title'), tabs, selected: this.query.tab, onSelect: (id) => this.query.select(id), prefix: 'ohjaus' })}
        ${tabPanel('ohjaus', this.query.tab, this.renderPanel())}
      </div>
    </main>`;
  }
}

customElements.define('kaari-ohjaus', KaariOhjaus);
