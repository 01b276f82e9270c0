// Applications (hakemukset) from this device's replica: the list with handler, status and dates
// (open ones first), recording a received application, taking one as its handler, deciding it, and the
// counts per handler (open now; received and decided in the last twelve months) that the supervisor
// follows. Every step is a mutation: offline it is queued and shows at once. The monthly statistics with
// their small-count suppression are the server's (/seuranta and the statistics API).
import { html } from 'lit';
import { label, t } from '../../i18n.js';
import { LiveQuery, currentEngine, localDate, uuid4 } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { named } from '../../ui/words.js';
import { GuidancePart, OPEN_APPLICATION, SERVICES, clientName, formDone, daysBetween, heldRejections, ohjausStyles, rejection, staffName } from './common.js';

const DECISIONS = ['granted', 'partly_granted', 'refused'];
const YEAR_DAYS = 365;

class KaariApplications extends GuidancePart {
  static properties = {
    ...GuidancePart.properties,
    filters: { attribute: false }, // {application_id, status, handler_id}
    clientSearch: { state: true },
  };

  static styles = [sharedStyles, officeStyles, ohjausStyles];

  constructor() {
    super();
    this.filters = {};
    this.clientSearch = '';
    this.data = new LiveQuery(this, ['application', 'client', 'area', 'outcome'], async (engine) => {
      const [applications, clients, areas] = await Promise.all([engine.query('application'), engine.query('client'), engine.query('area')]);
      const selected = this.filters.application_id;
      return {
        applications,
        clients: new Map(clients.map((c) => [c.id, c.data])),
        areas: new Map(areas.map((a) => [a.id, a.data])),
        rejections: selected ? await heldRejections(engine, 'application_id', selected) : [],
      };
    });
  }



  get status() {
    return this.filters.status === 'all' ? 'all' : 'open';
  }

  updated(changed) {
    const old = changed.get('filters');
    if (old && old.application_id !== this.filters.application_id) this.data.refresh();
    const shown = this.visible?.map((r) => r.data.client_id) ?? [];
    if (shown.length) currentEngine()?.recordView(shown, 'ohjaus.applications');
  }



  async receive(event) {
    event.preventDefault();
    const element = event.target;
    const form = new FormData(element);
    if (!form.get('client_id')) {
      this.error = t('app.pickClient');
      return;
    }
    const args = { application_id: uuid4(), client_id: form.get('client_id'), service: form.get('service'), received_on: form.get('received_on') };
    if (form.get('mine') && this.isCounsellor) args.handler_id = this.user.id;
    if (await this.mutate('application.receive', args)) {
      this.clientSearch = '';
      formDone(element);
      this.change({ application_id: args.application_id, status: null });
    }
  }

  renderReceive(data) {
    const today = localDate();
    const words = this.clientSearch.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const matches = words.length ? [...data.clients.values()].filter((c) => words.every((w) => clientName(c).toLowerCase().includes(w))).slice(0, 20) : [];
    return html`<details data-testid="receive-application">
      <summary>${t('app.receive')}</summary>
      <form class="inline" @submit=${this.receive}>
        <div class="field">
          <label for="app-client-search">${t('app.findClient')}</label>
          <input id="app-client-search" type="search" autocomplete="off" .value=${this.clientSearch} @input=${(e) => (this.clientSearch = e.target.value)} />
        </div>
        <div class="field">
          <label for="app-client">${t('worklist.client')}</label>
          <select id="app-client" name="client_id" required>
            <option value="">${t('common.choose')}</option>
            ${matches.map((c) => html`<option value=${c.id} ?selected=${matches.length === 1}>${clientName(c)}${c.birth_date ? ` (${c.birth_date.slice(0, 4)})` : ''}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="app-service">${t('app.service')}</label>
          <select id="app-service" name="service">${SERVICES.map((s) => html`<option value=${s}>${named('service', s)}</option>`)}</select>
        </div>
        <div class="field"><label for="app-received">${t('app.receivedOn')}</label><input id="app-received" name="received_on" type="date" required max=${today} .value=${today} /></div>
        ${this.isCounsellor ? html`<label class="check"><input type="checkbox" name="mine" checked /> ${t('app.iHandle')}</label>` : ''}
        <button class="primary" type="submit">${t('app.save')}</button>
      </form>
    </details>`;
  }

  renderCounts(data) {
    const today = localDate();
    const counts = new Map();
    for (const { data: a } of data.applications) {
      const key = a.handler_id ?? '';
      const c = counts.get(key) ?? { open: 0, received: 0, decided: 0 };
      if (OPEN_APPLICATION.includes(a.status)) c.open += 1;
      if (daysBetween(a.received_on, today) < YEAR_DAYS) c.received += 1;
      if (a.decided_on && daysBetween(a.decided_on, today) < YEAR_DAYS) c.decided += 1;
      counts.set(key, c);
    }
    const rows = [...counts.entries()].map(([id, c]) => ({ id, name: id ? staffName(this.names, id, this.user) : t('app.noHandler'), ...c }));
    rows.sort((a, b) => a.name.localeCompare(b.name));
    return html`<h3 id="per-handler">${t('app.perHandler')}</h3>
      <p class="muted">${t('app.perHandlerIntro')}</p>
      <div class="scroll" tabindex="0" role="region" aria-labelledby="per-handler">
        <table class="data" data-testid="per-handler">
          <thead>
            <tr>
              <th scope="col">${t('app.handler')}</th>
              <th scope="col" class="num">${t('app.openNow')}</th>
              <th scope="col" class="num">${t('app.received12')}</th>
              <th scope="col" class="num">${t('app.decided12')}</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (r) => html`<tr data-testid="handler-row">
                <td><button class="link" type="button" @click=${() => this.change({ handler_id: r.id || 'none' })}>${r.name}</button></td>
                <td class="num">${r.open}</td>
                <td class="num">${r.received}</td>
                <td class="num">${r.decided}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  renderList(data) {
    const handler = this.filters.handler_id;
    const rows = data.applications
      .filter(({ data: a }) => (this.status === 'all' || OPEN_APPLICATION.includes(a.status)) && (!handler || (a.handler_id ?? 'none') === handler))
      .sort((a, b) => b.data.received_on.localeCompare(a.data.received_on));
    this.visible = rows;
    const handlerIds = [...new Set(data.applications.map((a) => a.data.handler_id).filter(Boolean))];
    return html`<div class="filters" role="group" aria-label=${t('app.filters')}>
        <div class="field">
          <label for="app-status">${t('app.show')}</label>
          <select id="app-status" @change=${(e) => this.change({ status: e.target.value === 'open' ? null : e.target.value })}>
            <option value="open" ?selected=${this.status === 'open'}>${t('app.showOpen')}</option>
            <option value="all" ?selected=${this.status === 'all'}>${t('app.showAll')}</option>
          </select>
        </div>
        <div class="field">
          <label for="app-handler">${t('app.handler')}</label>
          <select id="app-handler" @change=${(e) => this.change({ handler_id: e.target.value || null })}>
            <option value="" ?selected=${!handler}>${t('app.anyHandler')}</option>
            <option value="none" ?selected=${handler === 'none'}>${t('app.noHandler')}</option>
            ${handlerIds.map((id) => html`<option value=${id} ?selected=${handler === id}>${staffName(this.names, id, this.user)}</option>`)}
          </select>
        </div>
      </div>
      ${rows.length
        ? html`<div class="scroll" tabindex="0" role="region" aria-label=${t('app.title')}>
            <table class="data" data-testid="applications">
              <thead>
                <tr>
                  <th scope="col">${t('worklist.client')}</th>
                  <th scope="col">${t('app.service')}</th>
                  <th scope="col">${t('app.receivedOn')}</th>
                  <th scope="col">${t('app.handler')}</th>
                  <th scope="col">${t('app.status')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  ({ data: a, pending }) => html`<tr data-testid="application-row" class=${a.id === this.filters.application_id ? 'selected' : ''}>
                    <td><button class="link" type="button" @click=${() => this.change({ application_id: a.id })}>${clientName(data.clients.get(a.client_id))}</button>
                      ${pending ? html` <span class="badge pending">${t('common.notSent')}</span>` : ''}</td>
                    <td>${named('service', a.service)}</td>
                    <td>${a.received_on}</td>
                    <td>${a.handler_id ? staffName(this.names, a.handler_id, this.user) : html`<span class="badge warn">${t('app.noHandler')}</span>`}</td>
                    <td>${named('application.status', a.status)}${a.decided_on ? ` ${a.decided_on}` : ''}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<p class="muted">${t('app.none')}</p>`}`;
  }

  renderDetail(data) {
    const row = data.applications.find((r) => r.id === this.filters.application_id);
    if (!row) return html`<p class="muted">${t('app.pick')}</p>`;
    const a = row.data;
    const today = localDate();
    const open = OPEN_APPLICATION.includes(a.status);
    return html`<article class="panel" aria-labelledby="app-title" data-testid="application-detail">
      <h2 id="app-title" tabindex="-1">${t('app.of', { client: clientName(data.clients.get(a.client_id)) })}</h2>
      <p><a href="/ohjaus?client_id=${a.client_id}">${t('pta.toRecord')}</a></p>
      <dl class="facts">
        <dt>${t('app.service')}</dt><dd>${named('service', a.service)}</dd>
        <dt>${t('worklist.area')}</dt><dd>${label(data.areas.get(a.area_id)?.labels) || '–'}</dd>
        <dt>${t('app.receivedOn')}</dt><dd>${a.received_on}</dd>
        <dt>${t('app.handler')}</dt><dd data-testid="application-handler">${a.handler_id ? staffName(this.names, a.handler_id, this.user) : t('app.noHandler')}</dd>
        <dt>${t('app.status')}</dt><dd data-testid="application-status">${named('application.status', a.status)}${row.pending ? html` <span class="badge pending">${t('common.notSent')}</span>` : ''}</dd>
        ${a.decision ? html`<dt>${t('app.decision')}</dt><dd>${named('app.decision', a.decision)} · ${a.decided_on}</dd>` : ''}
        ${a.withdrawn_on ? html`<dt>${t('app.withdrawnOn')}</dt><dd>${a.withdrawn_on}</dd>` : ''}
      </dl>
      <div role="alert">
        ${data.rejections.map((o) => rejection(o))}
        ${this.error ? html`<div class="notice error"><p>${this.error}</p></div>` : ''}
      </div>
      ${open && this.isCounsellor && a.handler_id !== this.user.id
        ? html`<p><button class="primary" type="button" @click=${() => this.mutate('application.assign', { application_id: a.id, handler_id: this.user.id })}>${t('app.take')}</button></p>`
        : ''}
      ${open && this.names.size
        ? html`<form class="inline" @submit=${(e) => {
            e.preventDefault();
            const to = new FormData(e.target).get('handler_id');
            if (to && to !== a.handler_id) this.mutate('application.assign', { application_id: a.id, handler_id: to });
          }}>
            <div class="field">
              <label for="app-assign">${t('app.assignTo')}</label>
              <select id="app-assign" name="handler_id">
                <option value="">${t('common.choose')}</option>
                ${[...this.names.entries()].filter(([id]) => id !== a.handler_id).map(([id, name]) => html`<option value=${id}>${name}</option>`)}
              </select>
            </div>
            <button class="secondary" type="submit">${t('worklist.handOver')}</button>
          </form>`
        : ''}
      ${open
        ? html`<h3>${t('app.decide')}</h3>
            <form class="inline" @submit=${(e) => {
              e.preventDefault();
              const f = new FormData(e.target);
              this.mutate('application.decide', { application_id: a.id, decision: f.get('decision'), decided_on: f.get('decided_on') });
            }}>
              <div class="field">
                <label for="app-decision">${t('app.decision')}</label>
                <select id="app-decision" name="decision">${DECISIONS.map((d) => html`<option value=${d}>${named('app.decision', d)}</option>`)}</select>
              </div>
              <div class="field"><label for="app-decided">${t('app.decidedOn')}</label><input id="app-decided" name="decided_on" type="date" required min=${a.received_on} max=${today} .value=${today} /></div>
              <button class="primary" type="submit">${t('app.decideButton')}</button>
            </form>
            <p><button class="secondary small" type="button" @click=${() => this.mutate('application.withdraw', { application_id: a.id, withdrawn_on: today })}>${t('app.withdraw')}</button></p>`
        : ''}
    </article>`;
  }

  render() {
    const data = this.data.value;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    return html`<div class="split">
      <section aria-labelledby="app-list-title">
        <h2 id="app-list-title">${t('app.title')}</h2>
        ${this.error && !this.filters.application_id ? html`<div class="notice error" role="alert"><p>${this.error}</p></div>` : ''}
        ${this.renderReceive(data)}
        ${this.renderList(data)}
        ${this.renderCounts(data)}
      </section>
      ${this.renderDetail(data)}
    </div>`;
  }
}

customElements.define('kaari-applications', KaariApplications);
