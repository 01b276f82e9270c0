// The form that changes a client's own details (`client.update`): names, birth date, municipality,
// phone, address, email, languages and service language. Only the fields the user changed are sent, with
// the record's `revision` as the base version: a change of a `manual` field (birth date, municipality)
// that someone else changed meanwhile becomes a conflict in Needs attention instead of overwriting
// theirs. Obvious mistakes are caught here, before sending (the server checks the same and more; what it
// refuses waits in Needs attention to be fixed and resent). Works offline: the local mutator shows it.
import { css, html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { label, t } from '../../i18n.js';
import { localDate } from '../../sync/index.js';
import { officeStyles } from '../../ui/office-styles.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import { GuidancePart, ohjausStyles } from './common.js';

const LANGUAGE = /^[a-z]{2,3}$/; // server: `Language`
export const EMAIL = /^[^@\s]+@[^@\s]+$/; // server: `Email`
const REQUIRED = ['first_name', 'last_name', 'municipality_id'];

/** The form's values as `client.update` types them ('' → null; languages a list of codes). */
export function detailValues(form) {
  const text = (name) => String(form.get(name) ?? '').trim();
  const values = {};
  for (const name of ['first_name', 'last_name', 'municipality_id', 'birth_date', 'phone', 'address', 'email', 'service_language']) {
    const value = text(name);
    values[name] = value || (REQUIRED.includes(name) ? '' : null);
  }
  if (values.service_language) values.service_language = values.service_language.toLowerCase();
  values.languages = text('languages').toLowerCase().split(/[\s,;]+/).filter(Boolean);
  return values;
}

/** {field: message key} of what is plainly wrong, before anything is sent. */
export function detailErrors(values, today = localDate()) {
  const errors = {};
  if (!values.first_name) errors.first_name = 'details.error.firstName';
  if (!values.last_name) errors.last_name = 'details.error.lastName';
  if (!values.municipality_id) errors.municipality_id = 'details.error.municipality';
  if (values.birth_date && values.birth_date > today) errors.birth_date = 'details.error.birthFuture';
  if (values.email && !EMAIL.test(values.email)) errors.email = 'details.error.email';
  if (values.languages.length > 10 || !values.languages.every((code) => LANGUAGE.test(code))) errors.languages = 'details.error.languages';
  if (values.service_language && !LANGUAGE.test(values.service_language)) errors.service_language = 'details.error.language';
  return errors;
}

/** The fields whose value differs from the record's: what `client.update` carries as `changes`. */
export function changedFields(client, values) {
  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return Object.fromEntries(Object.entries(values).filter(([name, value]) => !same(client[name] ?? (name === 'languages' ? [] : null), value)));
}

class KaariClientDetails extends GuidancePart {
  static properties = {
    ...GuidancePart.properties,
    client: { attribute: false },
    municipalities: { attribute: false }, // id → municipality data, on this device
    errors: { state: true },
    saved: { state: true },
  };

  static styles = [
    sharedStyles,
    officeStyles,
    ohjausStyles,
    css`
      :host {
        display: block;
        margin-bottom: 1rem;
      }
    `,
  ];

  constructor() {
    super();
    this.errors = {};
    this.saved = false;
  }

  updated(changed) {
    if (changed.has('client') && changed.get('client')?.id !== this.client?.id) {
      this.errors = {};
      this.saved = false;
    }
  }

  async save(event) {
    event.preventDefault();
    const element = event.target;
    const values = detailValues(new FormData(element));
    this.saved = false;
    this.errors = detailErrors(values);
    const wrong = Object.keys(this.errors);
    if (wrong.length) {
      await this.updateComplete;
      this.renderRoot.getElementById(`detail-${wrong[0]}`)?.focus();
      return;
    }
    const changes = changedFields(this.client, values);
    if (!Object.keys(changes).length) {
      this.errors = { form: 'details.noChanges' };
      return;
    }
    // The revision the user was looking at: the server decides stale `manual` changes against it.
    const queued = await this.mutate('client.update', { client_id: this.client.id, changes }, { baseVersion: this.client.revision ?? null });
    if (queued) {
      this.saved = true;
      element.closest('details').open = false;
    }
  }

  field(name, labelText, input, hint = '') {
    const error = this.errors[name];
    return html`<div class="field">
      <label for="detail-${name}">${labelText}</label>
      ${hint ? html`<span class="hint" id="detail-${name}-hint">${hint}</span>` : ''}
      ${input}
      ${error ? html`<span class="error" id="detail-${name}-error">${t(error)}</span>` : ''}
    </div>`;
  }

  /** aria-invalid and aria-describedby of a field: its hint and its error. */
  described(name, hint = false) {
    const ids = [hint ? `detail-${name}-hint` : '', this.errors[name] ? `detail-${name}-error` : ''].filter(Boolean).join(' ');
    return { invalid: this.errors[name] ? 'true' : 'false', ids: ids || undefined };
  }

  text(name, labelText, { type = 'text', maxlength = 200, hint = '', autocomplete = 'off', value } = {}) {
    const d = this.described(name, Boolean(hint));
    const input = html`<input id="detail-${name}" name=${name} type=${type} maxlength=${maxlength} autocomplete=${autocomplete}
      aria-invalid=${d.invalid} aria-describedby=${ifDefined(d.ids)} .value=${value ?? this.client[name] ?? ''} />`;
    return this.field(name, labelText, input, hint);
  }

  render() {
    const c = this.client;
    if (!c) return '';
    const today = localDate();
    const birth = this.described('birth_date');
    const place = this.described('municipality_id');
    const municipalities = [...(this.municipalities ?? new Map()).entries()].sort(([, a], [, b]) => label(a.labels).localeCompare(label(b.labels)));
    return html`<details data-testid="edit-details">
        <summary>${t('details.edit')}</summary>
        <form @submit=${this.save} novalidate aria-describedby="detail-form-note">
          <p class="hint" id="detail-form-note">${t('details.note')}</p>
          <div role="alert">
            ${Object.keys(this.errors).length
              ? html`<div class="notice error" data-testid="details-errors"><p>${this.errors.form ? t(this.errors.form) : t('details.fixFirst')}</p></div>`
              : ''}
          </div>
          ${this.text('first_name', `${t('client.firstName')} *`, { maxlength: 100 })}
          ${this.text('last_name', `${t('client.lastName')} *`, { maxlength: 100 })}
          ${this.field(
            'birth_date',
            t('client.birthDate'),
            html`<input id="detail-birth_date" name="birth_date" type="date" max=${today} aria-invalid=${birth.invalid}
              aria-describedby=${ifDefined(birth.ids)} .value=${c.birth_date ?? ''} />`,
          )}
          ${this.field(
            'municipality_id',
            `${t('client.municipality')} *`,
            html`<select id="detail-municipality_id" name="municipality_id" aria-invalid=${place.invalid} aria-describedby=${ifDefined(place.ids)}>
              ${municipalities.map(([id, m]) => html`<option value=${id} ?selected=${id === c.municipality_id}>${label(m.labels)}</option>`)}
            </select>`,
          )}
          ${this.text('phone', t('client.phone'), { type: 'tel', maxlength: 40 })}
          ${this.text('address', t('record.address'))}
          ${this.text('email', t('record.email'), { type: 'email' })}
          ${this.text('languages', t('record.languages'), { value: (c.languages ?? []).join(', '), hint: t('details.languagesHint') })}
          ${this.text('service_language', t('details.serviceLanguage'), { maxlength: 3, hint: t('details.serviceLanguageHint') })}
          <button class="primary" type="submit">${t('details.save')}</button>
        </form>
      </details>
      <div role="status">${this.saved ? html`<p class="muted" data-testid="details-saved">${t('details.saved')}</p>` : ''}</div>
      ${this.error ? html`<div class="notice error" role="alert"><p>${this.error}</p></div>` : ''}`;
  }
}

customElements.define('kaari-client-details', KaariClientDetails);
