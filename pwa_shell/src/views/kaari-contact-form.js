// The counsellor's contact form: one screen, big choices, sensible defaults, saved on the device at
// once (`contact.record`, and `client.create` first for a new client). Anonymous by default; a client
// can be picked from this device's replica or created. Works the same online and offline. A link may name
// the client (`clientId`, from /ohjaaja?client_id=…): one the device does not hold is read from the server
// (logged there), and the contact gives the area the client, so the record comes to the device.
import { LitElement, css, html } from 'lit';
import { live } from 'lit/directives/live.js';
import { api } from '../api.js';
import { I18nController, label, t } from '../i18n.js';
import { LiveQuery, StorageFullError, currentEngine, isoWithOffset, uuid4 } from '../sync/index.js';
import { activeCodes, choiceGroup, choiceStyles } from '../ui/choices.js';
import { sharedStyles } from '../ui/shared-styles.js';

const DEFAULTS = { channel: 'phone', caller_type: 'client', contact_type: 'to_service' };
const MAX_RESULTS = 8;

function blank() {
  const now = new Date();
  return {
    ...DEFAULTS,
    topics: new Set(),
    resolution: null,
    time: isoWithOffset(now).slice(11, 16),
    follow_up: false,
    clientMode: 'anonymous', // 'anonymous' | 'pick' | 'new'
    client: null, // the picked client record
    search: '',
  };
}

class KaariContactForm extends LitElement {
  static properties = {
    areaId: { attribute: false },
    userId: { attribute: false },
    clientId: { attribute: false }, // a client to pick at once
    form: { state: true },
    errors: { state: true },
    saved: { state: true },
    busy: { state: true },
  };

  static styles = [
    sharedStyles,
    choiceStyles,
    css`
      .row {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
        gap: 0 1rem;
      }
      select,
      textarea {
        width: 100%;
        min-height: var(--kaari-target);
        padding: 0.5rem 0.75rem;
        font: inherit;
        color: inherit;
        background: var(--kaari-surface);
        border: 2px solid var(--kaari-border);
        border-radius: var(--kaari-radius);
      }
      select:focus-visible,
      textarea:focus-visible {
        outline: 3px solid var(--kaari-focus);
        outline-offset: 2px;
      }
      .check {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        min-height: var(--kaari-target);
        font-weight: 600;
      }
      .check input {
        width: 1.5rem;
        min-height: 1.5rem;
      }
      .results {
        list-style: none;
        margin: 0 0 1rem;
        padding: 0;
      }
      .results button {
        width: 100%;
        text-align: left;
        font-weight: 500;
        color: var(--kaari-text);
        background: var(--kaari-surface);
        border: 2px solid var(--kaari-border);
        margin-bottom: 0.35rem;
      }
      .picked {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 1rem;
        padding: 0.5rem 0.75rem;
        border: 2px solid var(--kaari-brand);
        border-radius: var(--kaari-radius);
        margin-bottom: 1rem;
      }
      .errors p {
        margin: 0 0 0.25rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.form = blank();
    this.errors = [];
    this.saved = null;
    this.busy = false;
    this.reference = new LiveQuery(this, ['code_list', 'service_point', 'municipality'], async (engine) => {
      const [lists, points, municipalities] = await Promise.all([
        engine.query('code_list'),
        engine.query('service_point'),
        engine.query('municipality'),
      ]);
      return { codeLists: new Map(lists.map((r) => [r.id, r.data])), points, municipalities };
    });
    this.clients = new LiveQuery(this, ['client'], (engine) => engine.query('client'));
  }

  async updated(changed) {
    if (!changed.has('clientId') || !this.clientId) return;
    const id = this.clientId;
    let client = await currentEngine()?.get('client', id);
    if (!client && navigator.onLine) {
      try {
        const record = await api(`/api/clients/${id}`);
        client = { id: record.id, data: record };
      } catch {
        return; // no basis or gone: the form stays as it is
      }
    }
    if (client && id === this.clientId) this.set({ clientMode: 'pick', client, search: '' });
  }

  set(patch) {
    this.form = { ...this.form, ...patch };
    this.saved = null;
  }

  toggleTopic(code, checked) {
    const topics = new Set(this.form.topics);
    if (checked) topics.add(code);
    else topics.delete(code);
    this.set({ topics });
  }

  matches() {
    const query = this.form.search.trim().toLowerCase();
    if (query.length < 2) return [];
    const found = (this.clients.value ?? []).filter((c) => {
      const d = c.data;
      return `${d.first_name} ${d.last_name}`.toLowerCase().includes(query) || `${d.last_name} ${d.first_name}`.toLowerCase().includes(query) || (d.birth_date ?? '').includes(query);
    });
    return found.slice(0, MAX_RESULTS);
  }

  validate(form, target) {
    const errors = [];
    if (!form.topics.size) errors.push(t('contact.error.topics'));
    if (!form.resolution) errors.push(t('contact.error.resolution'));
    if (!/^\d{2}:\d{2}$/.test(form.time)) errors.push(t('contact.error.time'));
    if (form.clientMode === 'pick' && !form.client) errors.push(t('contact.error.client'));
    if (form.clientMode === 'new') {
      if (!target.first_name.value.trim() || !target.last_name.value.trim()) errors.push(t('contact.error.clientName'));
      if (!target.municipality_id.value) errors.push(t('contact.error.municipality'));
    }
    return errors;
  }

  async submit(event) {
    event.preventDefault();
    const target = event.target;
    const form = this.form;
    this.errors = this.validate(form, target);
    if (this.errors.length) {
      this.renderRoot.querySelector('.errors')?.focus();
      return;
    }
    const engine = currentEngine();
    this.busy = true;
    try {
      let clientId = form.clientMode === 'pick' ? form.client.id : null;
      if (form.clientMode === 'new') {
        clientId = uuid4();
        const optional = (name) => target[name].value.trim() || null;
        await engine.mutate('client.create', {
          client_id: clientId,
          first_name: target.first_name.value.trim(),
          last_name: target.last_name.value.trim(),
          municipality_id: target.municipality_id.value,
          birth_date: optional('birth_date'),
          phone: optional('phone'),
        });
      }
      const [hours, minutes] = form.time.split(':').map(Number);
      const occurred = new Date();
      occurred.setHours(hours, minutes, 0, 0);
      const duration = target.duration_minutes.value;
      await engine.mutate('contact.record', {
        contact_id: uuid4(),
        occurred_at: isoWithOffset(occurred),
        channel: form.channel,
        caller_type: form.caller_type,
        contact_type: form.contact_type,
        topics: [...form.topics],
        resolution: form.resolution,
        area_id: this.areaId,
        service_point_id: target.service_point_id.value || null,
        client_id: clientId,
        note: target.note.value.trim() || null,
        duration_minutes: duration === '' ? null : Number(duration),
        follow_up: form.follow_up,
      });
      target.reset(); // the fields the form state does not drive (note, duration, new client's details)
      this.form = blank(); // and the rest back to the defaults; `live()` re-checks what reset() cleared
      this.saved = engine.status.online ? 'contact.saved' : 'contact.savedOffline';
    } catch (error) {
      this.errors = [error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected')];
    } finally {
      this.busy = false;
    }
  }

  renderClient(municipalities) {
    const form = this.form;
    const modes = ['anonymous', 'pick', 'new'].map((code) => {
      const text = t(`contact.client.${code}`);
      return { code, labels: { fi: text, sv: text, en: text } };
    });
    return html`${choiceGroup({
        name: 'client_mode',
        legend: t('contact.client'),
        codes: modes,
        selected: form.clientMode,
        onChange: (code) => this.set({ clientMode: code, client: null }),
      })}
      ${form.clientMode === 'pick' ? this.renderPicker() : ''} ${form.clientMode === 'new' ? this.renderNewClient(municipalities) : ''}`;
  }

  renderPicker() {
    const picked = this.form.client;
    if (picked) {
      currentEngine()?.recordView([picked.id], 'ohjaaja.contact_form');
      return html`<div class="picked" data-testid="picked-client">
        <span>${picked.data.first_name} ${picked.data.last_name}${picked.data.birth_date ? ` (${picked.data.birth_date})` : ''}</span>
        <button class="secondary" type="button" @click=${() => this.set({ client: null })}>${t('contact.client.change')}</button>
      </div>`;
    }
    const results = this.matches();
    if (results.length) currentEngine()?.recordView(results.map((r) => r.id), 'ohjaaja.client_search');
    return html`<div class="field">
        <label for="client-search">${t('contact.client.search')}</label>
        <span class="hint" id="client-search-hint">${t('contact.client.searchHint')}</span>
        <input id="client-search" type="search" autocomplete="off" aria-describedby="client-search-hint"
          .value=${live(this.form.search)} @input=${(e) => this.set({ search: e.target.value })} />
      </div>
      <ul class="results" aria-live="polite">
        ${results.map(
          (c) => html`<li><button type="button" @click=${() => this.set({ client: c, search: '' })}>
            ${c.data.first_name} ${c.data.last_name}${c.data.birth_date ? ` · ${c.data.birth_date}` : ''}
          </button></li>`,
        )}
        ${this.form.search.trim().length >= 2 && !results.length ? html`<li class="muted">${t('contact.client.noMatch')}</li>` : ''}
      </ul>`;
  }

  renderNewClient(municipalities) {
    return html`<div class="row">
        <div class="field"><label for="first_name">${t('client.firstName')} *</label><input id="first_name" name="first_name" autocomplete="off" /></div>
        <div class="field"><label for="last_name">${t('client.lastName')} *</label><input id="last_name" name="last_name" autocomplete="off" /></div>
      </div>
      <div class="row">
        <div class="field">
          <label for="municipality_id">${t('client.municipality')} *</label>
          <select id="municipality_id" name="municipality_id">
            <option value="">${t('common.choose')}</option>
            ${municipalities.map((m) => html`<option value=${m.id}>${label(m.data.labels)}</option>`)}
          </select>
        </div>
        <div class="field"><label for="birth_date">${t('client.birthDate')}</label><input id="birth_date" name="birth_date" type="date" /></div>
        <div class="field"><label for="phone">${t('client.phone')}</label><input id="phone" name="phone" type="tel" autocomplete="off" /></div>
      </div>`;
  }

  render() {
    const ref = this.reference.value;
    if (!ref) return html`<p class="muted">${t('common.loading')}</p>`;
    const { codeLists } = ref;
    if (!codeLists.has('contact.channel')) return html`<p class="muted" data-testid="no-reference">${t('contact.noReference')}</p>`;
    const form = this.form;
    const points = ref.points.filter((p) => p.data.area_id === this.areaId);
    const municipalities = ref.municipalities.filter((m) => m.data.area_id === this.areaId);
    const group = (name, list, extra = {}) =>
      choiceGroup({ name, legend: t(`contact.${name}`), codes: activeCodes(codeLists, list), selected: form[name], onChange: (code) => this.set({ [name]: code }), ...extra });
    return html`<form @submit=${this.submit} novalidate aria-labelledby="contact-form-title">
      <h2 id="contact-form-title">${t('contact.title')}</h2>
      <div class="errors" tabindex="-1" role="alert">
        ${this.errors.length ? html`<div class="notice error" data-testid="contact-errors">${this.errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}
      </div>
      <div role="status">
        ${this.saved ? html`<div class="notice info" data-testid="contact-saved"><p>${t(this.saved)}</p></div>` : ''}
      </div>
      ${group('channel', 'contact.channel')} ${group('caller_type', 'contact.caller_type')}
      ${group('contact_type', 'contact.contact_type')}
      ${choiceGroup({
        name: 'topics',
        legend: t('contact.topics'),
        codes: activeCodes(codeLists, 'contact.topics'),
        selected: form.topics,
        type: 'checkbox',
        required: true,
        onChange: (code, checked) => this.toggleTopic(code, checked),
      })}
      ${group('resolution', 'contact.resolution', { required: true })} ${this.renderClient(municipalities)}
      <div class="row">
        <div class="field">
          <label for="time">${t('contact.time')}</label>
          <input id="time" name="time" type="time" .value=${live(form.time)} @input=${(e) => this.set({ time: e.target.value })} />
        </div>
        <div class="field">
          <label for="duration_minutes">${t('contact.duration')}</label>
          <input id="duration_minutes" name="duration_minutes" type="number" min="0" max="1440" inputmode="numeric" />
        </div>
        <div class="field">
          <label for="service_point_id">${t('contact.servicePoint')}</label>
          <select id="service_point_id" name="service_point_id">
            <option value="">${t('contact.noServicePoint')}</option>
            ${points.map((p) => html`<option value=${p.id}>${label(p.data.labels)}</option>`)}
          </select>
        </div>
      </div>
      <label class="check"><input type="checkbox" name="follow_up" .checked=${live(form.follow_up)}
        @change=${(e) => this.set({ follow_up: e.target.checked })} />${t('contact.followUp')}</label>
      <div class="field">
        <label for="note">${t('contact.note')}</label>
        <span class="hint" id="note-hint">${t('contact.noteHint')}</span>
        <textarea id="note" name="note" rows="2" maxlength="10000" aria-describedby="note-hint"></textarea>
      </div>
      <button class="primary wide" type="submit" ?disabled=${this.busy}>${t('contact.save')}</button>
    </form>`;
  }
}

customElements.define('kaari-contact-form', KaariContactForm);

