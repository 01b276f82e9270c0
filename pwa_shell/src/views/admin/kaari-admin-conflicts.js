// Conflicts to resolve: every `manual` field two devices changed at once (protocol §6), from the admin's
// replica (conflicts are published to the `admin` scope), so the list works offline. The current and the
// proposed value side by side; the admin keeps one, takes the other, or enters a new value
// (`conflict.resolve`; the server validates the value as it validates the field). Recently resolved
// conflicts are listed below with the decision.
import { LitElement, css, html } from 'lit';
import { I18nController, t } from '../../i18n.js';
import { LiveQuery, StorageFullError, currentEngine } from '../../sync/index.js';
import { lookupsFrom } from '../../ui/describe.js';
import { officeStyles } from '../../ui/office-styles.js';
import { named } from '../../ui/words.js';
import { sharedStyles } from '../../ui/shared-styles.js';

const RESOLVED_SHOWN = 20;

class KaariAdminConflicts extends LitElement {
  static properties = {
    users: { attribute: false }, // Map id → user, when loaded (names of authors and deciders)
    entering: { state: true }, // conflict id whose new-value form is open
    error: { state: true },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    css`
      ul.items {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li.item {
        border: 2px solid var(--kaari-border);
        border-radius: var(--kaari-radius);
        padding: 1rem 1.25rem;
        margin-bottom: 1rem;
      }
      h3 {
        margin: 0 0 0.25rem;
        font-size: 1.1rem;
      }
      .sides {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 1rem;
        margin: 0.75rem 0;
      }
      .side {
        border: 1px solid #d5dadd;
        border-radius: var(--kaari-radius);
        padding: 0.75rem;
      }
      .side p {
        margin: 0;
      }
      .value {
        font-size: 1.2rem;
        font-weight: 700;
      }
      .new-value {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        gap: 0.5rem 1rem;
      }
      .new-value .field {
        margin: 0;
        min-width: 14rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.users = new Map();
    this.entering = null;
    this.error = '';
    this.data = new LiveQuery(this, ['conflict', 'municipality', 'unit', 'area', 'code_list'], async (engine) => {
      const [conflicts, lookups, municipalities] = await Promise.all([
        engine.query('conflict'),
        lookupsFrom(engine),
        engine.query('municipality'),
      ]);
      const byTime = (a, b) => Date.parse(b.data.created_at) - Date.parse(a.data.created_at);
      return {
        open: conflicts.filter((c) => c.data.status === 'open').sort(byTime),
        resolved: conflicts
          .filter((c) => c.data.status !== 'open')
          .sort((a, b) => Date.parse(b.data.resolved_at ?? 0) - Date.parse(a.data.resolved_at ?? 0))
          .slice(0, RESOLVED_SHOWN),
        lookups,
        municipalities,
      };
    });
  }

  who(id) {
    const user = id && this.users.get(id);
    return user ? `${user.display_name} (${user.username})` : t('conflicts.someone');
  }

  async resolve(conflict, choice, value) {
    this.error = '';
    try {
      const args = { conflict_id: conflict.id, choice, ...(choice === 'value' ? { value } : {}) };
      await currentEngine().mutate('conflict.resolve', args);
      this.entering = null;
    } catch (error) {
      this.error = error instanceof StorageFullError ? t('sync.storageFull') : t('error.unexpected');
    }
  }

  show(conflict, value, lookups) {
    return value == null || value === '' ? t('attention.noValue') : String(lookups.name(conflict.field, value));
  }

  renderNewValue(record, data) {
    const c = record.data;
    const submit = (event) => {
      event.preventDefault();
      const value = new FormData(event.target).get('value');
      this.resolve(record, 'value', value === '' ? null : value);
    };
    let input;
    if (c.field === 'municipality_id') {
      input = html`<select id="value-${record.id}" name="value">
        ${data.municipalities.map((m) => html`<option value=${m.id}>${data.lookups.name('municipality_id', m.id)}</option>`)}
      </select>`;
    } else if (c.field.endsWith('_date')) {
      input = html`<input id="value-${record.id}" name="value" type="date" />`;
    } else {
      input = html`<input id="value-${record.id}" name="value" maxlength="200" />`;
    }
    return html`<form class="new-value" @submit=${submit}>
      <div class="field"><label for="value-${record.id}">${t('conflicts.newValue')}</label>${input}</div>
      <button class="primary" type="submit">${t('conflicts.save')}</button>
      <button class="secondary" type="button" @click=${() => (this.entering = null)}>${t('attention.cancel')}</button>
    </form>`;
  }

  renderOpen(record, data) {
    const c = record.data;
    return html`<li class="item" data-testid="admin-conflict">
      <h3>${t('conflicts.heading', { type: named('conflicts.type', c.record_type), field: named('field', c.field) })}</h3>
      <p class="muted">
        ${t('conflicts.meta', { when: new Date(c.created_at).toLocaleString(), who: this.who(c.author_id) })}
        ${record.pending ? html` · <span class="badge pending">${t('common.notSent')}</span>` : ''}
      </p>
      <div class="sides" data-testid="conflict-sides">
        <div class="side">
          <p class="muted">${t('attention.kept')}</p>
          <p class="value" data-testid="kept">${this.show(c, c.kept_value, data.lookups)}</p>
        </div>
        <div class="side">
          <p class="muted">${t('attention.proposed')}</p>
          <p class="value" data-testid="proposed">${this.show(c, c.proposed_value, data.lookups)}</p>
        </div>
      </div>
      ${this.entering === record.id
        ? this.renderNewValue(record, data)
        : html`<div class="actions">
            <button class="primary" type="button" @click=${() => this.resolve(record, 'kept')}>${t('attention.keep')}</button>
            <button class="primary" type="button" @click=${() => this.resolve(record, 'proposed')}>${t('attention.takeProposed')}</button>
            <button class="secondary" type="button" @click=${() => (this.entering = record.id)}>${t('conflicts.enterValue')}</button>
          </div>`}
    </li>`;
  }

  render() {
    const data = this.data.value;
    if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
    return html`<section aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">${t('conflicts.title')}</h2>
      <p class="muted">${t('conflicts.intro')}</p>
      <div role="alert">${this.error ? html`<div class="notice error"><p>${this.error}</p></div>` : ''}</div>
      ${data.open.length
        ? html`<ul class="items">${data.open.map((r) => this.renderOpen(r, data))}</ul>`
        : html`<p class="notice info" data-testid="no-conflicts">${t('conflicts.none')}</p>`}
      ${data.resolved.length
        ? html`<h3>${t('conflicts.resolved')}</h3>
            <div class="scroll" tabindex="0" role="region" aria-label=${t('conflicts.resolved')}>
              <table class="data" data-testid="resolved-conflicts">
                <thead>
                  <tr>
                    <th scope="col">${t('conflicts.field')}</th>
                    <th scope="col">${t('conflicts.decision')}</th>
                    <th scope="col">${t('conflicts.value')}</th>
                    <th scope="col">${t('conflicts.decidedBy')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.resolved.map(
                    ({ data: c, pending }) => html`<tr>
                      <td>${named('field', c.field)}</td>
                      <td>${t(`conflicts.resolution.${c.resolution}`)}${pending ? html` <span class="badge pending">${t('common.notSent')}</span>` : ''}</td>
                      <td>${this.show(c, c.resolved_value, data.lookups)}</td>
                      <td>${this.who(c.resolved_by)}${c.resolved_at ? html`<br /><span class="muted">${new Date(c.resolved_at).toLocaleString()}</span>` : ''}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : ''}
    </section>`;
  }
}

customElements.define('kaari-admin-conflicts', KaariAdminConflicts);
