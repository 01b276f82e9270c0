// The coordinator's screen (/kotas): the free-places board of every unit and the placement queue with its
// offers. The tab and the filters live in the query string (/kotas?tab=queue&area_id=…), so a link (or
// a notification) can open the right view. Above them, the coordinators' open tasks (overlapping stays,
// a unit booked above capacity: views/kaari-tasks.js). The third tab is the coordinator's notifications:
// the inbox with its unread count, and switching push on for this device (views/kaari-push-switch.js).
import { LitElement, css, html } from 'lit';
import { I18nController, t } from '../../i18n.js';
import { addScreen } from '../../screens.js';
import { officeStyles } from '../../ui/office-styles.js';
import { QueryController } from '../../ui/query.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { tabList, tabPanel, tabStyles } from '../../ui/tabs.js';
import { InboxQuery } from '../kaari-inbox.js';
import '../kaari-push-switch.js';
import '../kaari-tasks.js';
import './kaari-places-board.js';
import './kaari-queue.js';
import './mutators.js';

export const KOTAS_PATH = '/kotas';
const TABS = ['board', 'queue', 'inbox'];
const COORDINATOR_TASKS = ['coordinator'];
const FILTERS = ['area_id', 'kind', 'from', 'to', 'unit_id', 'service_kind', 'offer_id', 'queue_entry_id'];

addScreen({ path: KOTAS_PATH, tag: 'kaari-kotas', roles: ['coordinator'], titleKey: 'kotas.title' });

class KaariKotas extends LitElement {
  static properties = {
    session: { attribute: false },
    enrolment: { attribute: false },
    online: { type: Boolean },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    tabStyles,
    css`
      h1 {
        margin-bottom: 0.25rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.online = navigator.onLine;
    this.query = new QueryController(this, TABS);
    this.inbox = new InboxQuery(this);
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  renderPanel() {
    const filters = Object.fromEntries(FILTERS.map((name) => [name, this.query.params[name] ?? null]));
    if (this.query.tab === 'inbox') {
      return html`<kaari-inbox></kaari-inbox>
        <kaari-push-switch .session=${this.session} .enrolment=${this.enrolment} .online=${this.online}></kaari-push-switch>`;
    }
    if (this.query.tab === 'queue') return html`<kaari-queue .filters=${filters} .online=${this.online}></kaari-queue>`;
    return html`<kaari-places-board .filters=${filters}></kaari-places-board>`;
  }

  render() {
    const unread = this.inbox.value?.unread ?? 0;
    const tabs = TABS.map((id) => ({
      id,
      label: id !== 'inbox' ? t(`kotas.tab.${id}`) : unread ? t('inbox.linkUnread', { count: unread }) : t('inbox.title'),
    }));
    return html`<main class="page full">
      <div class="card">
        <div class="top">
          <div>
            <h1 tabindex="-1">${t('kotas.title')}</h1>
            <p class="muted">${t('kotas.intro')}</p>
          </div>
        </div>
        <section aria-labelledby="tasks-title">
          <h2 id="tasks-title">${t('tasks.heading')}</h2>
          <kaari-tasks .roles=${COORDINATOR_TASKS} view="kotas.tasks"></kaari-tasks>
        </section>
        ${tabList({ label: t('kotas.title'), tabs, selected: this.query.tab, onSelect: (id) => this.query.select(id), prefix: 'kotas' })}
        ${tabPanel('kotas', this.query.tab, this.renderPanel())}
      </div>
    </main>`;
  }
}

customElements.define('kaari-kotas', KaariKotas);
