// The supervisor's view (/seuranta), for the counsellors' supervisor and the counsellors themselves: the
// statutory worklist of service-needs assessments (overdue and due soon, per counsellor, with handing a
// process over) and the guidance statistics with their hidden small counts. Both are computed on the
// server: online they show, offline the screen says so plainly. The tab and filters are in the query
// string (/seuranta?tab=stats).
import { LitElement, html } from 'lit';
import { I18nController, t } from '../../i18n.js';
import { addScreen } from '../../screens.js';
import { officeStyles } from '../../ui/office-styles.js';
import { QueryController } from '../../ui/query.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { tabList, tabPanel, tabStyles } from '../../ui/tabs.js';
import './kaari-guidance-stats.js';
import './kaari-worklist.js';

const TABS = ['deadlines', 'stats'];
const GUIDANCE_ROLES = ['supervisor', 'counsellor'];

addScreen({ path: '/seuranta', tag: 'kaari-seuranta', roles: GUIDANCE_ROLES, titleKey: 'seuranta.title' });

/** The areas whose worklist the user may pick: null for a region-wide grant (every area). */
export function guidanceAreaIds(user) {
  const grants = user.roles.filter((g) => GUIDANCE_ROLES.includes(g.role));
  if (grants.some((g) => !g.area_id && !g.unit_id)) return null;
  return [...new Set(grants.map((g) => g.area_id).filter(Boolean))];
}

class KaariSeuranta extends LitElement {
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
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  renderPanel() {
    const p = this.query.params;
    if (this.query.tab === 'stats') return html`<kaari-guidance-stats .filters=${{ months: p.months ?? null, level: p.level ?? null }}></kaari-guidance-stats>`;
    return html`<kaari-worklist
      .filters=${{ area_id: p.area_id ?? null, days: p.days ?? null, assessment_id: p.assessment_id ?? null }}
      .areaIds=${guidanceAreaIds(this.session.user)}
    ></kaari-worklist>`;
  }

  render() {
    const tabs = TABS.map((id) => ({ id, label: t(`seuranta.tab.${id}`) }));
    return html`<main class="page full">
      <div class="card">
        <h1 tabindex="-1">${t('seuranta.title')}</h1>
        ${this.online ? '' : html`<div class="notice info" role="status" data-testid="seuranta-offline"><p>${t('seuranta.offline')}</p></div>`}
        ${tabList({ label: t('seuranta.title'), tabs, selected: this.query.tab, onSelect: (id) => this.query.select(id), prefix: 'seuranta' })}
        ${tabPanel('seuranta', this.query.tab, this.renderPanel())}
      </div>
    </main>`;
  }
}

customElements.define('kaari-seuranta', KaariSeuranta);
