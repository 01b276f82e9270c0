// The admin's screen (/admin): sync health of every device, conflicts to resolve, possible duplicates
// to merge, devices (enrol, revoke), users and roles, and the access-log search. Conflicts come from the admin's replica and work
// offline; the rest are the server's own figures and lists, shown when online. The open section is in
// the query string (/admin?tab=devices), and so is a device picked out on the sync-health tab
// (/admin?device_id=…, where the stale-device notification opens).
import { LitElement, html } from 'lit';
import { api } from '../../api.js';
import { I18nController, t } from '../../i18n.js';
import { addScreen } from '../../screens.js';
import { LiveQuery } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { QueryController } from '../../ui/query.js';
import { RemoteQuery } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { tabList, tabPanel, tabStyles } from '../../ui/tabs.js';
import './kaari-access-log.js';
import './kaari-admin-conflicts.js';
import './kaari-admin-devices.js';
import './kaari-admin-duplicates.js';
import './kaari-admin-users.js';
import './kaari-sync-health.js';

const TABS = ['health', 'conflicts', 'duplicates', 'devices', 'users', 'log'];

addScreen({ path: '/admin', tag: 'kaari-admin', roles: ['admin'], titleKey: 'admin.title' });

class KaariAdmin extends LitElement {
  static properties = {
    session: { attribute: false },
    online: { type: Boolean },
  };

  static styles = [sharedStyles, officeStyles, tabStyles];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.online = navigator.onLine;
    this.query = new QueryController(this, TABS);
    // Names of authors, deciders and log users: loaded once when online, never stored on the device.
    this.people = new RemoteQuery(this, () => api('/api/admin/users'));
    this.openConflicts = new LiveQuery(this, ['conflict'], async (engine) => (await engine.query('conflict', (c) => c.status === 'open')).length);
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  renderPanel() {
    const users = this.people.value ?? [];
    switch (this.query.tab) {
      case 'conflicts':
        return html`<kaari-admin-conflicts .users=${new Map(users.map((u) => [u.id, u]))}></kaari-admin-conflicts>`;
      case 'duplicates':
        return html`<kaari-admin-duplicates></kaari-admin-duplicates>`;
      case 'devices':
        return html`<kaari-admin-devices .session=${this.session}></kaari-admin-devices>`;
      case 'users':
        return html`<kaari-admin-users .session=${this.session}></kaari-admin-users>`;
      case 'log':
        return html`<kaari-access-log .users=${users}></kaari-access-log>`;
      default:
        return html`<kaari-sync-health .deviceId=${this.query.params.device_id ?? null}></kaari-sync-health>`;
    }
  }

  render() {
    const open = this.openConflicts.value ?? 0;
    const tabs = TABS.map((id) => ({ id, label: id === 'conflicts' && open ? `${t('admin.tab.conflicts')} (${open})` : t(`admin.tab.${id}`) }));
    return html`<main class="page full">
      <div class="card">
        <h1 tabindex="-1">${t('admin.title')}</h1>
        ${tabList({ label: t('admin.title'), tabs, selected: this.query.tab, onSelect: (id) => this.query.select(id), prefix: 'admin' })}
        ${tabPanel('admin', this.query.tab, this.renderPanel())}
      </div>
    </main>`;
  }
}

customElements.define('kaari-admin', KaariAdmin);
