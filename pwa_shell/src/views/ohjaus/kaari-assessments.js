// Service-needs assessments (PTA) from this device's replica: the open processes (the user's own, or the
// whole area's, with each one's statutory deadline — overdue and due soon first and marked), opening a
// process from a contact, and each step of one process: start, the RAI result recorded as a locked full
// assessment, the decision (the server refuses a decision on regular services without a locked full RAI
// of this process; the screen says so before sending, and shows the server's reason if it refused), the
// referral and queue entry a granted decision hands to the places side, the service start and closing.
// Every step is a mutation: offline it is queued and shows at once.
import { html } from 'lit';
import { label, t } from '../../i18n.js';
import { LiveQuery, currentEngine, isoWithOffset, localDate, uuid4 } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { named } from '../../ui/words.js';
import { GuidancePart, OPEN_ASSESSMENT, SERVICES, clientName, formDone, daysBetween, deadlineState, heldRejections, ohjausStyles, rejection, staffName } from './common.js';

const INSTRUMENTS = ['RAI-HC', 'RAI-LTC', 'interRAI-HC', 'interRAI-LTCF', 'interRAI-CA', 'interRAI-ID'];
const CLOSE_REASONS = ['no_need', 'declined_by_client', 'moved_away', 'deceased', 'duplicate', 'other'];
const CONTACT_DAYS = 30; // contacts offered for opening a process

// A refused step is shown beside the process while it is still the step to take.
const STEP_FROM = { 'assessment.start': 'contacted', 'assessment.decide': 'started', 'assessment.start_service': 'decided' };

const order = (a, b) => {
  const rank = { overdue: 0, due_soon: 1 };
  const ra = rank[deadlineState(a.data)] ?? 2;
  const rb = rank[deadlineState(b.data)] ?? 2;
  return ra - rb || (a.data.deadline ?? '9999').localeCompare(b.data.deadline ?? '9999') || a.data.contact_on.localeCompare(b.data.contact_on);
};

class KaariAssessments extends GuidancePart {
  static properties = {
    ...GuidancePart.properties,
    filters: { attribute: false }, // {assessment_id, open_client, who}
  };

  static styles = [sharedStyles, officeStyles, ohjausStyles];

  constructor() {
    super();
    this.filters = {};
    this.data = new LiveQuery(
      this,
      ['assessment', 'rai_assessment', 'client', 'contact', 'referral', 'queue_entry', 'area', 'outcome'],
      async (engine) => {
        const since = new Date(Date.now() - CONTACT_DAYS * 86_400_000).toISOString();
        const [assessments, rais, clients, contacts, referrals, entries, areas] = await Promise.all([
          engine.query('assessment'),
          engine.query('rai_assessment'),
          engine.query('client'),
          engine.query('contact', (c) => c.client_id && c.occurred_at >= since),
          engine.query('referral'),
          engine.query('queue_entry'),
          engine.query('area'),
        ]);
        const selected = this.filters.assessment_id;
        return {
          assessments,
          rais,
          clients: new Map(clients.map((c) => [c.id, c.data])),
          contacts: contacts.sort((a, b) => b.data.occurred_at.localeCompare(a.data.occurred_at)),
          referrals: new Map(referrals.map((r) => [r.id, r.data])),
          entries,
          areas: new Map(areas.map((a) => [a.id, a.data])),
          rejections: selected ? await heldRejections(engine, 'assessment_id', selected) : [],
        };
      },
    );
  }



  get who() {
    return this.filters.who ?? (this.isCounsellor ? 'mine' : 'all');
  }

  updated(changed) {
    const old = changed.get('filters');
    if (old && old.assessment_id !== this.filters.assessment_id) this.data.refresh();
    const shown = this.visible?.map((r) => r.data.client_id) ?? [];
    if (shown.length) currentEngine()?.recordView(shown, 'ohjaus.assessments');
  }



  async openProcess(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const [kind, id] = String(form.get('source')).split(':');
    const args = { assessment_id: uuid4(), urgent: Boolean(form.get('urgent')) };
    if (kind === 'contact') {
      const contact = this.data.value.contacts.find((c) => c.id === id).data;
      Object.assign(args, { client_id: contact.client_id, contacted_at: contact.occurred_at, contact_id: contact.id, area_id: contact.area_id });
    } else {
      Object.assign(args, { client_id: id, contacted_at: isoWithOffset() });
    }
    if (await this.mutate('assessment.open', args)) this.change({ assessment_id: args.assessment_id, open_client: null, open_contact: null, who: null });
  }

  async step(event, name, build) {
    event.preventDefault();
    const form = new FormData(event.target);
    await this.mutate(name, { assessment_id: this.filters.assessment_id, ...build(form) });
  }

  async recordRai(event, a) {
    event.preventDefault();
    const element = event.target;
    const form = new FormData(element);
    const score = (name) => (form.get(name) === '' || form.get(name) == null ? undefined : Number(form.get(name)));
    const args = {
      rai_id: uuid4(),
      client_id: a.client_id,
      assessment_id: a.id,
      assessed_on: form.get('assessed_on'),
      instrument: form.get('instrument'),
      full: Boolean(form.get('full')),
      lock: Boolean(form.get('lock')),
    };
    for (const name of ['maple', 'cps', 'adl_h']) if (score(name) !== undefined) args[name] = score(name);
    if (await this.mutate('rai.record', args)) formDone(element);
  }

  renderOpenForm(data) {
    const taken = new Set(data.assessments.map((a) => a.data.contact_id).filter(Boolean));
    const contacts = data.contacts.filter((c) => !taken.has(c.id) && (this.isCounsellor ? c.data.counsellor_id === this.user.id : true));
    const preset = this.filters.open_client && data.clients.get(this.filters.open_client);
    const fromContact = contacts.some((c) => c.id === this.filters.open_contact) ? this.filters.open_contact : null;
    if (!preset && !contacts.length) return html`<p class="muted">${t('pta.noContacts')}</p>`;
    const when = (iso) => new Date(iso).toLocaleString([], { day: 'numeric', month: 'numeric', hour: '2-digit', minute: '2-digit' });
    return html`<details ?open=${Boolean(preset || fromContact)} data-testid="open-assessment">
      <summary>${t('pta.open')}</summary>
      <form class="inline" @submit=${this.openProcess}>
        <div class="field">
          <label for="pta-source">${t('pta.source')}</label>
          <select id="pta-source" name="source" required>
            ${preset ? html`<option value="client:${preset.id}" selected>${t('pta.withoutContact', { client: clientName(preset) })}</option>` : ''}
            ${contacts.map(
              ({ id, data: c }) => html`<option value="contact:${id}" ?selected=${id === fromContact}>
                ${clientName(data.clients.get(c.client_id))} · ${when(c.occurred_at)}
              </option>`,
            )}
          </select>
        </div>
        <label class="check"><input type="checkbox" name="urgent" /> ${t('pta.urgent')}</label>
        <button class="primary" type="submit">${t('pta.openButton')}</button>
      </form>
    </details>`;
  }

  renderDeadline(a) {
    const state = deadlineState(a);
    if (!a.deadline) return html`${a.rule === 'none' ? t('pta.noDeadline') : a.rule ? '–' : html`<span class="muted">${t('pta.deadlineByServer')}</span>`}`;
    const left = daysBetween(localDate(), a.deadline);
    return html`${a.deadline}
      ${state === 'overdue' ? html`<span class="badge bad" data-testid="overdue">${t('pta.overdue', { count: -left })}</span>` : ''}
      ${state === 'due_soon' ? html`<span class="badge warn" data-testid="due-soon">${t('pta.dueSoon', { count: left })}</span>` : ''}`;
  }

  renderList(data) {
    const me = this.user.id;
    const rows = data.assessments
      .filter(({ data: a }) => OPEN_ASSESSMENT.includes(a.status) && (this.who === 'all' || a.counsellor_id === me))
      .sort(order);
    this.visible = rows;
    const overdue = rows.filter((r) => deadlineState(r.data) === 'overdue').length;
    const soon = rows.filter((r) => deadlineState(r.data) === 'due_soon').length;
    return html`<div class="filters" role="group" aria-label=${t('pta.filters')}>
        ${this.isCounsellor
          ? html`<div class="field">
              <label for="pta-who">${t('pta.who')}</label>
              <select id="pta-who" @change=${(e) => this.change({ who: e.target.value })}>
                <option value="mine" ?selected=${this.who === 'mine'}>${t('pta.mine')}</option>
                <option value="all" ?selected=${this.who === 'all'}>${t('pta.all')}</option>
              </select>
            </div>`
          : ''}
      </div>
      <div class="stats" role="status" data-testid="pta-stats">
        <p><strong>${rows.length}</strong> ${t('pta.openCount', { count: rows.length })}</p>
        <p class="overdue"><strong>${overdue}</strong> ${t('pta.overdueCount', { count: overdue })}</p>
        <p><strong>${soon}</strong> ${t('pta.dueSoonCount', { count: soon })}</p>
      </div>
      ${rows.length
        ? html`<div class="scroll" tabindex="0" role="region" aria-label=${t('pta.listTitle')}>
            <table class="data" data-testid="assessments">
              <thead>
                <tr>
                  <th scope="col">${t('worklist.client')}</th>
                  <th scope="col">${t('pta.status')}</th>
                  <th scope="col">${t('worklist.contact')}</th>
                  <th scope="col">${t('worklist.deadline')}</th>
                  <th scope="col">${t('worklist.counsellor')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  ({ data: a, pending }) => html`<tr data-testid="assessment-row" class=${a.id === this.filters.assessment_id ? 'selected' : ''}>
                    <td>
                      <button class="link" type="button" @click=${() => this.change({ assessment_id: a.id })}>${clientName(data.clients.get(a.client_id))}</button>
                      ${a.urgent ? html` <span class="badge bad">${t('worklist.urgent')}</span>` : ''}
                      ${pending ? html` <span class="badge pending">${t('common.notSent')}</span>` : ''}
                    </td>
                    <td>${named('assessment.status', a.status)}</td>
                    <td>${a.contact_on}</td>
                    <td>${this.renderDeadline(a)}</td>
                    <td>${staffName(this.names, a.counsellor_id, this.user)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<p class="muted">${t('pta.none')}</p>`}`;
  }

  renderRais(rais) {
    if (!rais.length) return html`<p class="muted">${t('pta.noRai')}</p>`;
    return html`<ul class="plain" data-testid="rai-results">
      ${rais.map(
        ({ data: r, pending }) => html`<li>
          <strong>${r.instrument}</strong> ${r.full ? t('pta.full') : t('pta.screening')} · ${r.assessed_on}
          · MAPLe ${r.maple ?? '–'} · CPS ${r.cps ?? '–'} · ADL-H ${r.adl_h ?? '–'}
          ${r.locked_at ? html`<span class="badge good">${t('pta.locked')}</span>` : html`<span class="badge warn">${t('pta.draft')}</span>
            <button class="secondary small" type="button" @click=${() => this.mutate('rai.lock', { rai_id: r.id })}>${t('pta.lock')}</button>`}
          ${pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
        </li>`,
      )}
    </ul>`;
  }

  renderRaiForm(a) {
    const today = localDate();
    return html`<details data-testid="rai-form">
      <summary>${t('pta.recordRai')}</summary>
      <form class="inline" @submit=${(e) => this.recordRai(e, a)}>
        <div class="field"><label for="rai-on">${t('pta.assessedOn')}</label><input id="rai-on" name="assessed_on" type="date" required max=${today} .value=${today} /></div>
        <div class="field">
          <label for="rai-instrument">${t('pta.instrument')}</label>
          <select id="rai-instrument" name="instrument">${INSTRUMENTS.map((i) => html`<option value=${i}>${i}</option>`)}</select>
        </div>
        <div class="field"><label for="rai-maple">MAPLe (1–5)</label><input id="rai-maple" name="maple" type="number" min="1" max="5" inputmode="numeric" /></div>
        <div class="field"><label for="rai-cps">CPS (0–6)</label><input id="rai-cps" name="cps" type="number" min="0" max="6" inputmode="numeric" /></div>
        <div class="field"><label for="rai-adl">ADL-H (0–6)</label><input id="rai-adl" name="adl_h" type="number" min="0" max="6" inputmode="numeric" /></div>
        <label class="check"><input type="checkbox" name="full" checked /> ${t('pta.fullAssessment')}</label>
        <label class="check"><input type="checkbox" name="lock" checked /> ${t('pta.lockNow')}</label>
        <button class="secondary" type="submit">${t('pta.saveRai')}</button>
      </form>
    </details>`;
  }

  renderDecide(a, rais) {
    const today = localDate();
    const locked = rais.some(({ data: r }) => r.full && r.locked_at);
    return html`<h3>${t('pta.decision')}</h3>
      ${locked ? '' : html`<p class="notice info reason" data-testid="rai-gate">${t('pta.raiGate')}</p>`}
      <form class="inline" data-testid="decide-form"
        @submit=${(e) =>
          this.step(e, 'assessment.decide', (f) => {
            const args = { decision: f.get('decision'), decided_on: f.get('decided_on'), regular: Boolean(f.get('regular')) };
            if (f.get('service_kind')) args.service_kind = f.get('service_kind');
            return args;
          })}>
        <div class="field">
          <label for="pta-decision">${t('pta.decisionLabel')}</label>
          <select id="pta-decision" name="decision">
            <option value="granted">${named('pta.decision', 'granted')}</option>
            <option value="refused">${named('pta.decision', 'refused')}</option>
          </select>
        </div>
        <div class="field">
          <label for="pta-service">${t('pta.service')}</label>
          <select id="pta-service" name="service_kind">
            <option value="">–</option>
            ${SERVICES.map((s) => html`<option value=${s}>${named('service', s)}</option>`)}
          </select>
        </div>
        <div class="field"><label for="pta-decided">${t('pta.decidedOn')}</label><input id="pta-decided" name="decided_on" type="date" required min=${a.started_on ?? ''} max=${today} .value=${today} /></div>
        <label class="check"><input type="checkbox" name="regular" checked /> ${t('pta.regular')}</label>
        <button class="primary" type="submit">${t('pta.decide')}</button>
      </form>`;
  }

  renderHandOver(a, data) {
    if (a.decision !== 'granted') return '';
    const referral = a.referral_id ? data.referrals.get(a.referral_id) : null;
    const entry = a.referral_id ? data.entries.find((e) => e.data.referral_id === a.referral_id)?.data : null;
    if (!referral && !entry) {
      return html`<p class="muted" data-testid="handover">${a.referral_id === null && a.service_kind && !['day_activity', 'housing_24h', 'short_term_care', 'home_care'].includes(a.service_kind) ? t('pta.noQueue') : t('pta.handOverPending')}</p>`;
    }
    return html`<div class="notice info" data-testid="handover">
      <p><strong>${t('pta.handedOver')}</strong></p>
      ${referral ? html`<p>${t('pta.referral', { service: named('service', referral.service_kind), urgency: named('pta.urgency', referral.urgency), status: named('pta.referralStatus', referral.status) })}</p>` : ''}
      ${entry ? html`<p data-testid="queue-entry">${t('pta.queueEntry', { area: label(data.areas.get(entry.area_id)?.labels), status: named('pta.queueStatus', entry.status) })}${entry.rank ? ` · ${t('pta.position', { n: entry.rank })}` : ''}</p>` : ''}
    </div>`;
  }

  renderDetail(data) {
    const row = data.assessments.find((r) => r.id === this.filters.assessment_id);
    if (!row) return html`<p class="muted">${this.filters.assessment_id ? t('pta.notOnDevice') : t('pta.pick')}</p>`;
    const a = row.data;
    const client = data.clients.get(a.client_id);
    const rais = data.rais.filter((r) => r.data.assessment_id === a.id).sort((x, y) => y.data.assessed_on.localeCompare(x.data.assessed_on));
    const today = localDate();
    return html`<article class="panel" aria-labelledby="pta-title" data-testid="assessment-detail">
      <h2 id="pta-title" tabindex="-1">${t('pta.of', { client: clientName(client) })}</h2>
      <p><a href="/ohjaus?client_id=${a.client_id}">${t('pta.toRecord')}</a></p>
      ${this.renderHandOver(a, data)}
      <dl class="facts">
        <dt>${t('pta.status')}</dt><dd data-testid="assessment-status">${named('assessment.status', a.status)}${row.pending ? html` <span class="badge pending">${t('common.notSent')}</span>` : ''}</dd>
        <dt>${t('worklist.contact')}</dt><dd>${a.contact_on}${a.urgent ? ` · ${t('worklist.urgent')}` : ''}</dd>
        <dt>${t('pta.rule')}</dt><dd>${a.rule ? named('worklist.rule', a.rule) : t('pta.deadlineByServer')}</dd>
        <dt>${t('worklist.deadline')}</dt><dd>${this.renderDeadline(a)}</dd>
        <dt>${t('worklist.counsellor')}</dt><dd>${staffName(this.names, a.counsellor_id, this.user)}</dd>
        ${a.started_on ? html`<dt>${t('pta.startedOn')}</dt><dd>${a.started_on}</dd>` : ''}
        ${a.decided_on ? html`<dt>${t('pta.decision')}</dt><dd data-testid="decision">${named('pta.decision', a.decision)}${a.service_kind ? ` · ${named('service', a.service_kind)}` : ''} · ${a.decided_on}</dd>` : ''}
        ${a.service_started_on ? html`<dt>${t('pta.serviceStartedOn')}</dt><dd>${a.service_started_on}</dd>` : ''}
        ${a.closed_on ? html`<dt>${t('pta.closedOn')}</dt><dd>${a.closed_on} · ${named('pta.closeReason', a.close_reason)}</dd>` : ''}
      </dl>
      <div role="alert" data-testid="pta-rejections">
        ${data.rejections.filter((o) => !STEP_FROM[o.name] || STEP_FROM[o.name] === a.status).map((o) => rejection(o))}
        ${this.error ? html`<div class="notice error"><p>${this.error}</p></div>` : ''}
      </div>
      ${a.status === 'contacted'
        ? html`<h3>${t('pta.start')}</h3>
            <form class="inline" @submit=${(e) => this.step(e, 'assessment.start', (f) => ({ started_on: f.get('started_on') }))}>
              <div class="field"><label for="pta-started">${t('pta.startedOn')}</label><input id="pta-started" name="started_on" type="date" required min=${a.contact_on} max=${today} .value=${today} /></div>
              <button class="primary" type="submit">${t('pta.startButton')}</button>
            </form>`
        : ''}
      ${['started', 'decided', 'service_started'].includes(a.status) ? html`<h3>${t('pta.rai')}</h3>${this.renderRais(rais)}${a.status === 'started' ? this.renderRaiForm(a) : ''}` : ''}
      ${a.status === 'started' ? this.renderDecide(a, rais) : ''}
      ${a.status === 'decided' && a.decision === 'granted'
        ? html`<h3>${t('pta.serviceStart')}</h3>
            <form class="inline" @submit=${(e) => this.step(e, 'assessment.start_service', (f) => ({ started_on: f.get('started_on') }))}>
              <div class="field"><label for="pta-service-start">${t('pta.serviceStartedOn')}</label><input id="pta-service-start" name="started_on" type="date" required min=${a.decided_on} max=${today} .value=${today} /></div>
              <button class="secondary" type="submit">${t('pta.serviceStartButton')}</button>
            </form>`
        : ''}
      ${OPEN_ASSESSMENT.includes(a.status)
        ? html`<details>
            <summary>${t('pta.close')}</summary>
            <form class="inline" @submit=${(e) => this.step(e, 'assessment.close', (f) => ({ closed_on: f.get('closed_on'), reason: f.get('reason') }))}>
              <div class="field">
                <label for="pta-close-reason">${t('pta.closeReasonLabel')}</label>
                <select id="pta-close-reason" name="reason">${CLOSE_REASONS.map((r) => html`<option value=${r}>${named('pta.closeReason', r)}</option>`)}</select>
              </div>
              <div class="field"><label for="pta-closed">${t('pta.closedOn')}</label><input id="pta-closed" name="closed_on" type="date" required min=${a.contact_on} .value=${today} /></div>
              <button class="secondary" type="submit">${t('pta.closeButton')}</button>
            </form>
          </details>`
        : ''}
    </article>`;
  }

  render() {
    const data = this.data.value;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    return html`<div class="split">
      <section aria-labelledby="pta-list-title">
        <h2 id="pta-list-title">${t('pta.listTitle')}</h2>
        <p class="muted">${t('pta.intro')}</p>
        ${this.isCounsellor ? this.renderOpenForm(data) : ''}
        ${this.renderList(data)}
      </section>
      ${this.renderDetail(data)}
    </div>`;
  }
}

customElements.define('kaari-assessments', KaariAssessments);
