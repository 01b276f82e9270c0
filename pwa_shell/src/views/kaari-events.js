// Guidance events of the counsellor's area: coming and recent ones with their participant counts, and
// a short form to record one (`event.record`), offline as online.
import { LitElement, css, html } from 'lit';
import { I18nController, label, t } from '../i18n.js';
import { LiveQuery, StorageFullError, currentEngine, localDate, uuid4 } from '../sync/index.js';
import { activeCodes } from '../ui/choices.js';
import { sharedStyles } from '../ui/shared-styles.js';

const RECENT_DAYS = 30;

class KaariEvents extends LitElement {
  static properties = {
    areaId: { attribute: false },
    open: { state: true },
    errors: { state: true },
    saved: { state: true },
  };

  static styles = [
    sharedStyles,
    css`
      .head {
        display: flex;
        flex-wrap: wrap;
        justify-content: space-between;
        align-items: center;
        gap: 1rem;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        margin-bottom: 1rem;
      }
      th,
      td {
        text-align: left;
        padding: 0.5rem;
        border-bottom: 1px solid #d5dadd;
        vertical-align: top;
      }
      td.count {
        font-weight: 700;
        font-size: 1.1rem;
      }
      .badge {
        color: var(--kaari-offline-text);
        background: var(--kaari-offline-bg);
      }
      .row {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr));
        gap: 0 1rem;
      }
      select {
        width: 100%;
        min-height: var(--kaari-target);
        padding: 0.5rem 0.75rem;
        font: inherit;
        border: 2px solid var(--kaari-border);
        border-radius: var(--kaari-radius);
        background: var(--kaari-surface);
      }
      select:focus-visible {
        outline: 3px solid var(--kaari-focus);
        outline-offset: 2px;
      }
      .actions {
        display: flex;
        gap: 0.75rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.open = false;
    this.errors = [];
    this.saved = false;
    this.data = new LiveQuery(this, ['event', 'code_list'], async (engine) => {
      const from = localDate(new Date(Date.now() - RECENT_DAYS * 86_400_000));
      const [events, lists] = await Promise.all([
        engine.query('event', (e) => e.area_id === this.areaId && e.held_on >= from),
        engine.query('code_list', (list) => list.id === 'event.kind'),
      ]);
      events.sort((a, b) => (a.data.held_on < b.data.held_on ? 1 : a.data.held_on > b.data.held_on ? -1 : 0));
      return { events, codeLists: new Map(lists.map((r) => [r.id, r.data])) };
    });
  }

  updated(changed) {
    if (changed.has('areaId')) this.data.refresh();
  }

  async submit(event) {
    event.preventDefault();
    const form = event.target;
    const title = form.title.value.trim();
    const count = form.participant_count.value;
    this.errors = [];
    if (!form.kind.value) this.errors.push(t('event.error.kind'));
    if (!title) this.errors.push(t('event.error.title'));
    if (!form.held_on.value) this.errors.push(t('event.error.date'));
    if (count === '' || Number(count) < 0) this.errors.push(t('event.error.count'));
    if (this.errors.length) return;
    try {
      await currentEngine().mutate('event.record', {
        event_id: uuid4(),
        kind: form.kind.value,
        title,
        held_on: form.held_on.value,
        area_id: this.areaId,
        participant_count: Number(count),
        place: form.place.value.trim() || null,
      });
      form.reset();
      this.open = false;
      this.saved = true;
    } catch (error) {
      this.errors = [error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected')];
    }
  }

  renderForm(kinds) {
    return html`<form @submit=${this.submit} novalidate aria-labelledby="event-form-title" data-testid="event-form">
      <h3 id="event-form-title">${t('event.new')}</h3>
      <div role="alert">${this.errors.length ? html`<div class="notice error">${this.errors.map((e) => html`<p>${e}</p>`)}</div>` : ''}</div>
      <div class="row">
        <div class="field">
          <label for="kind">${t('event.kind')} *</label>
          <select id="kind" name="kind">
            <option value="">${t('common.choose')}</option>
            ${kinds.map((k) => html`<option value=${k.code}>${label(k.labels)}</option>`)}
          </select>
        </div>
        <div class="field"><label for="title">${t('event.titleField')} *</label><input id="title" name="title" maxlength="200" /></div>
      </div>
      <div class="row">
        <div class="field"><label for="held_on">${t('event.date')} *</label><input id="held_on" name="held_on" type="date" .value=${localDate()} /></div>
        <div class="field">
          <label for="participant_count">${t('event.participants')} *</label>
          <input id="participant_count" name="participant_count" type="number" min="0" max="100000" inputmode="numeric" />
        </div>
        <div class="field"><label for="place">${t('event.place')}</label><input id="place" name="place" maxlength="200" /></div>
      </div>
      <div class="actions">
        <button class="primary" type="submit">${t('event.save')}</button>
        <button class="secondary" type="button" @click=${() => (this.open = false)}>${t('attention.cancel')}</button>
      </div>
    </form>`;
  }

  render() {
    const data = this.data.value;
    const kinds = data ? activeCodes(data.codeLists, 'event.kind') : [];
    const kindName = (code) => label(data.codeLists.get('event.kind')?.codes.find((k) => k.code === code)?.labels) || code;
    const today = localDate();
    return html`<section aria-labelledby="events-title">
      <div class="head">
        <h2 id="events-title">${t('event.title')}</h2>
        ${this.open ? '' : html`<button class="secondary" type="button" @click=${() => ((this.open = true), (this.saved = false))}>${t('event.new')}</button>`}
      </div>
      <div role="status">${this.saved ? html`<div class="notice info"><p>${t('event.saved')}</p></div>` : ''}</div>
      ${this.open ? this.renderForm(kinds) : ''}
      ${!data
        ? html`<p class="muted">${t('common.loading')}</p>`
        : data.events.length
          ? html`<table data-testid="events">
              <caption class="muted">${t('event.caption', { days: RECENT_DAYS })}</caption>
              <thead>
                <tr><th scope="col">${t('event.date')}</th><th scope="col">${t('event.titleField')}</th><th scope="col">${t('event.kind')}</th><th scope="col">${t('event.participants')}</th></tr>
              </thead>
              <tbody>
                ${data.events.map(
                  (e) => html`<tr>
                    <td>${new Date(e.data.held_on + 'T12:00:00').toLocaleDateString()}${e.data.held_on > today ? html` <span class="muted">(${t('event.upcoming')})</span>` : ''}</td>
                    <td>${e.data.title}${e.data.place ? html`<br /><span class="muted">${e.data.place}</span>` : ''}${e.pending ? html` <span class="badge">${t('common.notSent')}</span>` : ''}</td>
                    <td>${kindName(e.data.kind)}</td>
                    <td class="count">${e.data.participant_count}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">${t('event.none')}</p>`}
    </section>`;
  }
}

customElements.define('kaari-events', KaariEvents);
