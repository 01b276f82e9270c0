// The client record (asiakkuus) for counsellors and their supervisor: find a client among those this
// device holds (the clients of the user's areas that guidance has touched, and those the user is
// responsible for), then the record from the replica — identity, contact details, municipality,
// languages, close persons, service relationships, consents — the person's details, close persons (added,
// changed, removed), service relationships and consents are changed here, offline too (kaari-client-details.js for the
// details) —
// and the client 360 timeline, which only the server computes: online it is read (the server logs the
// opening with its basis); offline the screen says so. Every opening of a record is logged from the
// device as well (`audit.viewed`, queued offline), so the access log holds offline openings too.
import { html } from 'lit';
import { api } from '../../api.js';
import { label, t } from '../../i18n.js';
import { LiveQuery, currentEngine, localDate, uuid4 } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { errorText } from '../../ui/error-text.js';
import { RemoteQuery, remoteNotice } from '../../ui/remote.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { named } from '../../ui/words.js';
import { GuidancePart, SERVICES, ageOn, clientName, formDone, ohjausStyles, staffName } from './common.js';
import { EMAIL } from './kaari-client-details.js';

const PURPOSES = ['cross_service_summary', 'disclose_to_close_persons', 'disclose_to_other_providers', 'electronic_messages'];
const GIVERS = ['client', 'guardian', 'trustee', 'close_person'];
const RELATIONS = ['spouse', 'partner', 'child', 'parent', 'sibling', 'grandchild', 'other_relative', 'friend', 'neighbour', 'guardian', 'trustee', 'other'];
const MAX_RESULTS = 30;
// A close person's text fields and their longest value (server: `AddClosePerson`, `ClosePersonChanges`).
const PERSON_TEXT = { name: 200, phone: 40, email: 200, address: 200, note: 500 };
const PERSON_LABEL = { name: 'record.name', phone: 'client.phone', email: 'record.email', address: 'record.address', note: 'record.closePerson.note' };

/** A close person form's values: text trimmed, an empty optional field null. */
function closePersonValues(form) {
  const values = { relation: form.get('relation'), primary_contact: Boolean(form.get('primary_contact')) };
  for (const field of Object.keys(PERSON_TEXT)) values[field] = String(form.get(field) ?? '').trim() || null;
  return values;
}

/** The first field the server would refuse, with the message key and its words; null if none. */
function closePersonError(values) {
  if (!values.name) return { field: 'name', key: 'record.closePerson.nameNeeded' };
  for (const [field, max] of Object.entries(PERSON_TEXT)) {
    if ((values[field] ?? '').length > max) return { field, key: 'record.closePerson.tooLong', words: { field: t(PERSON_LABEL[field]), max } };
  }
  if (values.email && !EMAIL.test(values.email)) return { field: 'email', key: 'details.error.email' };
  return null;
}

class KaariClientRecord extends GuidancePart {
  static properties = {
    ...GuidancePart.properties,
    clientId: { attribute: false },
    online: { type: Boolean },
    search: { state: true },
    serverHits: { state: true }, // clients found on the server that this device does not hold
    fromServer: { state: true }, // such a client's record, read online (never stored)
    serviceKind: { state: true }, // the kind chosen in the add-a-service-relationship form
    ending: { state: true }, // id of the service relationship whose end date is being entered
    editing: { state: true }, // id of the close person whose details are being changed
  };

  static styles = [sharedStyles, officeStyles, ohjausStyles];

  constructor() {
    super();
    this.search = '';
    this.serverHits = null;
    this.fromServer = null;
    this.serviceKind = 'service';
    this.ending = null;
    this.editing = null;
    this.clients = new LiveQuery(this, ['client', 'municipality', 'code_list'], async (engine) => {
      const [clients, municipalities, lists] = await Promise.all([
        engine.query('client'),
        engine.query('municipality'),
        engine.query('code_list', (list) => list.id.startsWith('contact.')),
      ]);
      clients.sort((a, b) => clientName(a.data).localeCompare(clientName(b.data)));
      return { clients, municipalities: new Map(municipalities.map((m) => [m.id, m.data])), codeLists: new Map(lists.map((r) => [r.id, r.data])) };
    });
    this.record = new LiveQuery(
      this,
      ['client', 'close_person', 'consent', 'client_service', 'assessment', 'application', 'area'],
      async (engine) => {
        if (!this.clientId) return null;
        const mine = (data) => data.client_id === this.clientId;
        const [client, closePersons, consents, services, assessments, applications, areas] = await Promise.all([
          engine.get('client', this.clientId),
          engine.query('close_person', (d) => mine(d) && !d.removed_at),
          engine.query('consent', mine),
          engine.query('client_service', mine),
          engine.query('assessment', mine),
          engine.query('application', mine),
          engine.query('area'),
        ]);
        return { client, closePersons, consents, services, assessments, applications, areas: new Map(areas.map((a) => [a.id, a.data])) };
      },
    );
    this.timeline = new RemoteQuery(this, () => (this.clientId ? api(`/api/clients/${this.clientId}/timeline`) : Promise.resolve(null)));
  }


  updated(changed) {
    if (changed.has('clientId') && changed.get('clientId') !== undefined) {
      this.record.refresh();
      this.timeline.refresh();
    }
    if (changed.has('search')) this.serverHits = null;
    // A client this device does not hold (found on the server): read the record online; the server logs it.
    const held = this.record.value;
    if (this.clientId && held && !held.client && navigator.onLine && this.fromServer?.id !== this.clientId && this.reading !== this.clientId) {
      this.reading = this.clientId;
      api(`/api/clients/${this.clientId}`)
        .then((record) => (this.fromServer = record))
        .catch(() => (this.fromServer = null))
        .finally(() => (this.reading = null));
    }
    // Every opening of a record shown from this device is logged (offline too: queued as audit.viewed).
    const shown = this.record.value?.client;
    if (shown && shown.id === this.clientId && this.loggedFor !== this.clientId) {
      this.loggedFor = this.clientId;
      currentEngine()?.recordView([this.clientId], 'ohjaus.client_record');
    }
  }

  open(clientId) {
    this.change({ client_id: clientId });
  }

  async searchServer() {
    this.error = '';
    try {
      const held = new Set((this.clients.value?.clients ?? []).map((c) => c.id));
      const hits = await api(`/api/clients/search?${new URLSearchParams({ q: this.search.trim() })}`);
      this.serverHits = hits.filter((hit) => !held.has(hit.id));
    } catch (error) {
      this.error = errorText(error).join(' ');
    }
  }


  async giveConsent(event) {
    event.preventDefault();
    const element = event.target;
    const form = new FormData(element);
    const givenBy = form.get('given_by');
    const args = { consent_id: uuid4(), client_id: this.clientId, purpose: form.get('purpose'), given_on: form.get('given_on'), given_by: givenBy };
    const giverName = String(form.get('given_by_name') ?? '').trim();
    if (givenBy !== 'client') {
      if (!giverName) {
        this.error = t('record.consent.giverNameNeeded');
        return;
      }
      args.given_by_name = giverName;
    }
    if (await this.mutate('consent.give', args)) formDone(element);
  }

  /** The form's values, or null with the error shown and the focus on the field to fix. */
  closePersonForm(element) {
    const values = closePersonValues(new FormData(element));
    const wrong = closePersonError(values);
    if (!wrong) return values;
    this.error = t(wrong.key, wrong.words);
    element.querySelector(`[name="${wrong.field}"]`)?.focus();
    return null;
  }

  async addClosePerson(event) {
    event.preventDefault();
    const element = event.target;
    const values = this.closePersonForm(element);
    if (!values) return;
    // A new person carries only what was filled in (and primary_contact only when it is one).
    const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== false));
    const args = { close_person_id: uuid4(), client_id: this.clientId, ...given };
    if (await this.mutate('client.add_close_person', args)) formDone(element);
  }

  /** Only the fields the user changed go to the server (it keeps the last writer per field). */
  async updateClosePerson(event, person) {
    event.preventDefault();
    const values = this.closePersonForm(event.target);
    if (!values) return;
    const changes = Object.fromEntries(
      Object.entries(values).filter(([field, value]) => (person[field] ?? (field === 'primary_contact' ? false : null)) !== value),
    );
    if (!Object.keys(changes).length) {
      this.error = t('details.noChanges');
      return;
    }
    if (await this.mutate('client.update_close_person', { close_person_id: person.id, changes })) this.closeEdit(person.id);
  }

  async openEdit(id) {
    this.editing = id;
    await this.updateComplete;
    this.renderRoot.getElementById('cpe-name')?.focus();
  }

  /** Back to the list, with the focus on the edit button it came from (keyboard users keep their place). */
  async closeEdit(id) {
    this.editing = null;
    await this.updateComplete;
    this.renderRoot.querySelector(`[data-edit-person="${id}"]`)?.focus();
  }

  async addService(event) {
    event.preventDefault();
    const element = event.target;
    const form = new FormData(element);
    const args = { service_id: uuid4(), client_id: this.clientId, kind: this.serviceKind, since: form.get('since') };
    if (this.serviceKind === 'counsellor') args.counsellor_id = form.get('counsellor_id');
    else args.service = form.get('service');
    if (form.get('area_id')) args.area_id = form.get('area_id');
    if (!args.since || (this.serviceKind === 'counsellor' && !args.counsellor_id)) {
      this.error = t('record.service.incomplete');
      return;
    }
    if (await this.mutate('client.add_service', args)) formDone(element);
  }

  async endService(event, service) {
    event.preventDefault();
    const until = new FormData(event.target).get('until');
    if (!until || until < service.since) {
      this.error = t('record.service.endBeforeStart', { day: service.since });
      return;
    }
    if (await this.mutate('client.end_service', { service_id: service.id, until })) this.ending = null;
  }

  renderSearch() {
    const data = this.clients.value;
    const words = this.search.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const found = data && words.length
      ? data.clients.filter(({ data: c }) => words.every((w) => clientName(c).toLowerCase().includes(w))).slice(0, MAX_RESULTS)
      : [];
    return html`<section aria-labelledby="search-title">
      <h2 id="search-title">${t('record.search')}</h2>
      <div class="field">
        <label for="client-search">${t('record.searchLabel')}</label>
        <span class="hint" id="client-search-hint">${t('record.searchHint', { count: data?.clients.length ?? 0 })}</span>
        <input id="client-search" type="search" autocomplete="off" aria-describedby="client-search-hint" .value=${this.search}
          @input=${(e) => (this.search = e.target.value)} />
      </div>
      <ul class="plain" aria-live="polite" data-testid="client-results">
        ${found.map(
          ({ data: c, pending }) => html`<li>
            <button class="link" type="button" @click=${() => this.open(c.id)}>${clientName(c)}</button>
            <span class="muted">${c.birth_date ? c.birth_date.slice(0, 4) : ''} ${label(data.municipalities.get(c.municipality_id)?.labels)}</span>
            ${pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
          </li>`,
        )}
        ${words.length && data && !found.length ? html`<li class="muted">${t('record.noMatch')}</li>` : ''}
      </ul>
      ${this.search.trim().length >= 2 && this.online
        ? html`<button class="secondary" type="button" @click=${this.searchServer}>${t('record.searchServer')}</button>`
        : ''}
      ${this.serverHits
        ? html`<p class="muted">${t('record.serverHits', { count: this.serverHits.length })}</p>
            <ul class="plain" aria-live="polite" data-testid="server-results">
              ${this.serverHits.map(
                (hit) => html`<li>
                  <button class="link" type="button" @click=${() => this.open(hit.id)}>${hit.first_name} ${hit.last_name}</button>
                  <span class="muted">${hit.birth_year ?? ''} ${label(data?.municipalities.get(hit.municipality_id)?.labels)}</span>
                </li>`,
              )}
            </ul>`
        : ''}
    </section>`;
  }

  renderIdentity(c) {
    const municipality = this.clients.value?.municipalities.get(c.municipality_id);
    const age = ageOn(c.birth_date);
    const dash = (v) => v || '–';
    return html`<dl class="facts" data-testid="client-identity">
      <dt>${t('client.birthDate')}</dt><dd>${c.birth_date ? `${c.birth_date} (${t('record.age', { count: age })})` : '–'}</dd>
      <dt>${t('record.municipality')}</dt><dd>${dash(label(municipality?.labels))}</dd>
      <dt>${t('client.phone')}</dt><dd>${dash(c.phone)}</dd>
      <dt>${t('record.email')}</dt><dd>${dash(c.email)}</dd>
      <dt>${t('record.address')}</dt><dd>${dash(c.address)}</dd>
      <dt>${t('record.languages')}</dt><dd>${c.languages?.length ? c.languages.join(', ') : '–'}${c.service_language ? ` · ${t('record.serviceLanguage')}: ${c.service_language}` : ''}</dd>
    </dl>`;
  }

  renderClosePersons(rows, editable = true) {
    return html`<h3 id="close-title">${t('record.closePersons')}</h3>
      ${rows.length
        ? html`<ul class="plain" aria-labelledby="close-title" data-testid="close-persons">
            ${rows.map(
              ({ data: p, pending }) => html`<li data-testid="close-person" data-person=${p.id}>
                <strong>${p.name}</strong> · ${named('record.relation', p.relation)}${p.phone ? ` · ${p.phone}` : ''}
                ${p.primary_contact ? html`<span class="badge info">${t('record.primaryContact')}</span>` : ''}
                ${pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
                ${editable && this.editing !== p.id
                  ? html`<button class="secondary small" type="button" data-edit-person=${p.id} aria-label=${t('record.editClosePersonNamed', { name: p.name })}
                        @click=${() => this.openEdit(p.id)}>${t('record.edit')}</button>
                      <button class="secondary small" type="button" aria-label=${t('record.removeClosePersonNamed', { name: p.name })}
                        @click=${() => this.mutate('client.remove_close_person', { close_person_id: p.id })}>${t('record.remove')}</button>`
                  : ''}
                ${p.email || p.address
                  ? html`<div class="muted">
                      ${p.email ? html`<a href="mailto:${p.email}" data-testid="close-person-email">${p.email}</a>` : ''}${p.email && p.address ? ' · ' : ''}
                      ${p.address ? html`<span data-testid="close-person-address">${p.address}</span>` : ''}
                    </div>`
                  : ''}
                ${p.note ? html`<div class="person-note" data-testid="close-person-note">${p.note}</div>` : ''}
                ${editable && this.editing === p.id ? this.renderEditClosePerson(p) : ''}
              </li>`,
            )}
          </ul>`
        : html`<p class="muted">${t('record.none')}</p>`}
      ${editable ? this.renderAddClosePerson() : ''}`;
  }

  /** The fields of a close person's form: `prefix` keeps the add and edit forms' ids apart. */
  closePersonFields(prefix, p = {}) {
    const text = (field, type = 'text') =>
      html`<div class="field"><label for="${prefix}-${field}">${t(PERSON_LABEL[field])}</label>
        <input id="${prefix}-${field}" name=${field} type=${type} maxlength=${PERSON_TEXT[field]} autocomplete="off" .value=${p[field] ?? ''} /></div>`;
    return html`${text('name')}
      <div class="field">
        <label for="${prefix}-relation">${t('record.relationLabel')}</label>
        <select id="${prefix}-relation" name="relation">${RELATIONS.map((r) => html`<option value=${r} ?selected=${r === p.relation}>${named('record.relation', r)}</option>`)}</select>
      </div>
      ${text('phone', 'tel')} ${text('email', 'email')} ${text('address')}
      <div class="field">
        <label for="${prefix}-note">${t('record.closePerson.note')}</label>
        <textarea id="${prefix}-note" name="note" rows="2" maxlength=${PERSON_TEXT.note} .value=${p.note ?? ''}></textarea>
      </div>
      <label class="check"><input type="checkbox" name="primary_contact" .checked=${Boolean(p.primary_contact)} /> ${t('record.primaryContact')}</label>`;
  }

  renderAddClosePerson() {
    return html`<details>
        <summary>${t('record.addClosePerson')}</summary>
        <form class="inline" data-testid="add-close-person" novalidate @submit=${this.addClosePerson}>
          ${this.closePersonFields('cp')}
          <button class="secondary" type="submit">${t('record.add')}</button>
        </form>
      </details>`;
  }

  renderEditClosePerson(p) {
    return html`<form class="inline" data-testid="close-person-form" novalidate aria-label=${t('record.editClosePersonNamed', { name: p.name })}
      @submit=${(e) => this.updateClosePerson(e, p)} @keydown=${(e) => e.key === 'Escape' && this.closeEdit(p.id)}>
      ${this.closePersonFields('cpe', p)}
      <button class="secondary" type="submit">${t('record.closePerson.save')}</button>
      <button class="secondary" type="button" @click=${() => this.closeEdit(p.id)}>${t('record.cancel')}</button>
    </form>`;
  }

  renderServices(rows, data, editable = true) {
    const me = this.user;
    const today = localDate();
    return html`<h3 id="services-title">${t('record.services')}</h3>
      ${rows.length
        ? html`<ul class="plain" aria-labelledby="services-title" data-testid="client-services">
            ${rows.map(({ data: s, pending }) => {
              const what = s.kind === 'counsellor' ? t('record.responsibleCounsellor', { name: staffName(this.names, s.counsellor_id, me) }) : named('service', s.service);
              const open = !s.until || s.until >= today;
              return html`<li data-testid="client-service" class=${open ? '' : 'muted'}>
                ${what} · ${label(data.areas.get(s.area_id)?.labels)} · ${t('record.since', { day: s.since })}${s.until ? ` – ${s.until}` : ''}
                ${pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
                ${editable && !s.until && this.ending !== s.id
                  ? html`<button class="secondary small" type="button" aria-label=${t('record.service.endNamed', { what })}
                      @click=${() => (this.ending = s.id)}>${t('record.service.end')}</button>`
                  : ''}
                ${editable && this.ending === s.id ? this.renderEndService(s, what, today) : ''}
              </li>`;
            })}
          </ul>`
        : html`<p class="muted">${t('record.none')}</p>`}
      ${editable ? this.renderAddService(data, today) : ''}`;
  }

  renderEndService(s, what, today) {
    return html`<form class="inline" @submit=${(e) => this.endService(e, s)} aria-label=${t('record.service.endNamed', { what })}>
      <div class="field">
        <label for="service-until">${t('record.service.until')}</label>
        <input id="service-until" name="until" type="date" required min=${s.since} .value=${today < s.since ? s.since : today} />
      </div>
      <button class="secondary" type="submit">${t('record.service.saveEnd')}</button>
      <button class="secondary" type="button" @click=${() => (this.ending = null)}>${t('record.cancel')}</button>
    </form>`;
  }

  renderAddService(data, today) {
    const me = this.user;
    const counsellors = new Map(this.names);
    if (this.isCounsellor) counsellors.set(me.id, me.display_name ?? t('ohjaus.me'));
    return html`<details>
        <summary>${t('record.service.add')}</summary>
        <form class="inline" @submit=${this.addService} data-testid="service-form">
          <div class="field">
            <label for="service-kind">${t('record.service.kind')}</label>
            <select id="service-kind" name="kind" @change=${(e) => (this.serviceKind = e.target.value)}>
              <option value="service" ?selected=${this.serviceKind === 'service'}>${t('record.service.kind.service')}</option>
              <option value="counsellor" ?selected=${this.serviceKind === 'counsellor'}>${t('record.service.kind.counsellor')}</option>
            </select>
          </div>
          ${this.serviceKind === 'counsellor'
            ? html`<div class="field">
                <label for="service-counsellor">${t('record.service.counsellor')}</label>
                <select id="service-counsellor" name="counsellor_id" required>
                  ${[...counsellors].map(([id, name]) => html`<option value=${id} ?selected=${id === me.id}>${name}</option>`)}
                </select>
              </div>`
            : html`<div class="field">
                <label for="service-service">${t('record.service.service')}</label>
                <select id="service-service" name="service">${SERVICES.map((s) => html`<option value=${s}>${named('service', s)}</option>`)}</select>
              </div>`}
          <div class="field">
            <label for="service-area">${t('record.service.area')}</label>
            <select id="service-area" name="area_id">
              <option value="">${t('record.service.homeArea')}</option>
              ${[...data.areas].map(([id, area]) => html`<option value=${id}>${label(area.labels)}</option>`)}
            </select>
          </div>
          <div class="field"><label for="service-since">${t('record.service.since')}</label><input id="service-since" name="since" type="date" required .value=${today} /></div>
          <button class="secondary" type="submit">${t('record.service.save')}</button>
        </form>
      </details>`;
  }

  renderConsents(rows, editable = true) {
    const today = localDate();
    const inForce = (c) => c.given_on <= today && (!c.withdrawn_on || c.withdrawn_on > today);
    const summary = rows.find(({ data: c }) => c.purpose === 'cross_service_summary' && inForce(c));
    return html`<h3 id="consents-title">${t('record.consents')}</h3>
      <p data-testid="summary-consent" class=${summary ? '' : 'muted'}>
        ${summary ? t('record.summaryConsentInForce', { day: summary.data.given_on }) : t('record.summaryConsentNone')}
      </p>
      ${rows.length
        ? html`<ul class="plain" aria-labelledby="consents-title" data-testid="consents">
            ${rows.map(
              ({ data: c, pending }) => html`<li>
                <strong>${named('record.purpose', c.purpose)}</strong>
                · ${t('record.givenOn', { day: c.given_on, by: named('record.giver', c.given_by) })}${c.given_by_name ? ` (${c.given_by_name})` : ''}
                ${c.withdrawn_on
                  ? html`<span class="badge bad">${t('record.withdrawnOn', { day: c.withdrawn_on })}</span>`
                  : html`<span class="badge good">${t('record.inForce')}</span>
                      ${editable ? html`<button class="secondary small" type="button" aria-label=${t('record.withdrawNamed', { purpose: named('record.purpose', c.purpose) })}
                        @click=${() => this.mutate('consent.withdraw', { consent_id: c.id, withdrawn_on: today })}>${t('record.withdraw')}</button>` : ''}`}
                ${pending ? html`<span class="badge pending">${t('common.notSent')}</span>` : ''}
              </li>`,
            )}
          </ul>`
        : html`<p class="muted">${t('record.none')}</p>`}
      ${editable ? this.renderGiveConsent(today) : ''}`;
  }

  renderGiveConsent(today) {
    return html`<details>
        <summary>${t('record.giveConsent')}</summary>
        <form class="inline" @submit=${this.giveConsent} data-testid="consent-form">
          <div class="field">
            <label for="consent-purpose">${t('record.purposeLabel')}</label>
            <select id="consent-purpose" name="purpose">${PURPOSES.map((p) => html`<option value=${p}>${named('record.purpose', p)}</option>`)}</select>
          </div>
          <div class="field"><label for="consent-on">${t('record.givenOnLabel')}</label><input id="consent-on" name="given_on" type="date" required max=${today} .value=${today} /></div>
          <div class="field">
            <label for="consent-by">${t('record.giverLabel')}</label>
            <select id="consent-by" name="given_by">${GIVERS.map((g) => html`<option value=${g}>${named('record.giver', g)}</option>`)}</select>
          </div>
          <div class="field"><label for="consent-name">${t('record.giverName')}</label><input id="consent-name" name="given_by_name" maxlength="200" autocomplete="off" /></div>
          <button class="secondary" type="submit">${t('record.give')}</button>
        </form>
      </details>`;
  }

  renderProcesses(data) {
    const rows = [...data.assessments.map((r) => ['assessment', r]), ...data.applications.map((r) => ['application', r])];
    if (!rows.length) return '';
    return html`<h3>${t('record.processes')}</h3>
      <ul class="plain" data-testid="client-processes">
        ${data.assessments.map(
          ({ data: a }) => html`<li>
            <a href="/ohjaus?tab=assessments&assessment_id=${a.id}">${t('record.assessmentOf', { day: a.contact_on })}</a>
            · ${named('assessment.status', a.status)}
          </li>`,
        )}
        ${data.applications.map(
          ({ data: a }) => html`<li>
            <a href="/ohjaus?tab=applications&application_id=${a.id}">${t('record.applicationOf', { service: named('service', a.service), day: a.received_on })}</a>
            · ${named('application.status', a.status)}
          </li>`,
        )}
      </ul>`;
  }

  /** The access basis the server logged, in words (`server/clients/access.py` lists them). */
  basisInWords(basis) {
    const areas = this.record.value?.areas;
    return basis
      .split(';')
      .map((part) => {
        const [kind, what, id] = part.split(':');
        if (kind === 'guidance') return what === 'region' ? t('basis.region') : t('basis.area', { area: label(areas?.get(id)?.labels) });
        if (kind === 'service_relationship') return t(what === 'unit' ? 'basis.unit' : 'basis.counsellor');
        if (kind === 'consent') return t('basis.consent');
        return part;
      })
      .join('; ');
  }

  /** One line of the 360 timeline in the user's language (the server's English title for other kinds). */
  describe({ kind, details: d, title }) {
    const code = (list, value) => label(this.clients.value?.codeLists.get(list)?.codes.find((c) => c.code === value)?.labels) || value;
    switch (kind) {
      case 'contact':
        return `${code('contact.channel', d.channel)}: ${code('contact.resolution', d.resolution)}`;
      case 'assessment':
        return named('assessment.status', d.status);
      case 'assessment_step':
        return d.from_status ? `${named('assessment.status', d.from_status)} → ${named('assessment.status', d.to_status)}` : named('assessment.status', d.to_status);
      case 'rai_assessment':
        return `${d.instrument} ${d.full ? t('pta.full') : t('pta.screening')}, MAPLe ${d.maple ?? '–'}${d.locked_at ? ` (${t('pta.locked')})` : ''}`;
      case 'application':
        return `${named('service', d.service)}: ${named('application.status', d.status)}`;
      case 'referral':
        return `${named('service', d.service_kind)}, ${named('pta.urgency', d.urgency)}`;
      case 'queue_entry':
        return `${named('service', d.service_kind)}: ${named('pta.queueStatus', d.status)}`;
      default:
        return title;
    }
  }

  renderTimeline() {
    const data = this.timeline.value;
    return html`<section aria-labelledby="timeline-title" data-testid="timeline">
      <h3 id="timeline-title">${t('record.timeline')}</h3>
      ${remoteNotice(this.timeline, 'record.timelineOffline')}
      ${data && data.client_id === this.clientId
        ? html`<p class="muted" data-testid="timeline-basis" data-basis=${data.basis}>${t('record.basis', { basis: this.basisInWords(data.basis) })}</p>
            ${data.withheld.length ? html`<p class="muted">${t('record.withheld', { kinds: data.withheld.map((k) => named('timeline.kind', k)).join(', ') })}</p>` : ''}
            <div class="scroll" tabindex="0" role="region" aria-labelledby="timeline-title">
              <table class="data">
                <thead><tr><th scope="col">${t('record.day')}</th><th scope="col">${t('record.kind')}</th><th scope="col">${t('record.what')}</th></tr></thead>
                <tbody>
                  ${data.items.map(
                    (item) => html`<tr data-testid="timeline-item" data-kind=${item.kind}>
                      <td>${item.on}</td>
                      <td>${named('timeline.kind', item.kind)}</td>
                      <td>${this.describe(item)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : ''}
    </section>`;
  }

  renderRecord() {
    const data = this.record.value;
    if (data === undefined) return html`<p class="muted">${t('common.loading')}</p>`;
    if (!data?.client) return this.renderFromServer(data);
    const c = data.client.data;
    return html`<article aria-labelledby="client-title" data-testid="client-record">
      <h2 id="client-title" tabindex="-1">${clientName(c)}</h2>
      <div role="alert">${this.error ? html`<div class="notice error"><p>${this.error}</p></div>` : ''}</div>
      ${this.renderIdentity(c)}
      <kaari-client-details .client=${c} .municipalities=${this.clients.value?.municipalities} .user=${this.user}></kaari-client-details>
      <p><a href="/ohjaus?tab=assessments&open_client=${c.id}">${t('record.openAssessment')}</a></p>
      ${this.renderClosePersons(data.closePersons)}
      ${this.renderServices(data.services, data)}
      ${this.renderConsents(data.consents)}
      ${this.renderProcesses(data)}
      ${this.renderTimeline()}
    </article>`;
  }

  /** A record read from the server (a client this device does not hold): shown, never stored or changed here. */
  renderFromServer(data) {
    const c = this.fromServer;
    if (!c || c.id !== this.clientId) {
      return html`<p class="muted" data-testid="client-not-here">${this.online ? t('common.loading') : t('record.notOnDevice')}</p>`;
    }
    const rows = (list) => list.map((row) => ({ data: row }));
    return html`<article aria-labelledby="client-title" data-testid="client-record">
      <h2 id="client-title" tabindex="-1">${clientName(c)}</h2>
      <div class="notice info" role="status" data-testid="from-server"><p>${t('record.fromServer')}</p></div>
      ${this.isCounsellor ? html`<p><a href="/ohjaaja?client_id=${c.id}">${t('record.recordContact')}</a></p>` : ''}
      ${this.renderIdentity(c)}
      ${this.renderClosePersons(rows(c.close_persons), false)}
      ${this.renderServices(rows(c.services), data, false)}
      ${this.renderConsents(rows(c.consents), false)}
      ${this.renderTimeline()}
    </article>`;
  }

  render() {
    return html`<div class="split">
      ${this.renderSearch()}
      <div>${this.clientId ? this.renderRecord() : html`<p class="muted">${t('record.pickClient')}</p>`}</div>
    </div>`;
  }
}

customElements.define('kaari-client-record', KaariClientRecord);
