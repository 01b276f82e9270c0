// Needs attention (/huomio): every write the server rejected or found in conflict stays here with its
// reason until someone acts on it — fix and resend, or discard; for a `manual` conflict, the current
// and the proposed value side by side, decided (`conflict.resolve`) by someone allowed to: an admin or
// staff who hold the contested record. Open conflicts of records this user holds are listed too.
// Writes still waiting to be sent are listed last, so nothing the user did is out of sight.
import { LitElement, css, html } from 'lit';
import { I18nController, label, t } from '../i18n.js';
import { LiveQuery, currentEngine } from '../sync/index.js';
import { sharedStyles } from '../ui/shared-styles.js';
import { describeArgs, fieldLabel, lookupsFrom, mutationTitle } from '../ui/describe.js';

/** May this user decide the conflict? It must be in a scope of theirs other than their own `user:`. */
export function mayDecide(conflict, userId) {
  return conflict.scopes.some((scope) => scope !== `user:${userId}`);
}

class KaariAttention extends LitElement {
  static properties = {
    session: { attribute: false },
    editing: { state: true }, // id of the outcome whose arguments are being fixed
    error: { state: true },
  };

  static styles = [
    sharedStyles,
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
      li.item.rejected {
        border-color: var(--kaari-error-text);
      }
      h3 {
        margin: 0 0 0.5rem;
        font-size: 1.1rem;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.25rem 1rem;
        margin: 0 0 0.75rem;
      }
      dt {
        font-weight: 600;
      }
      dd {
        margin: 0;
      }
      .reason {
        color: var(--kaari-error-text);
        font-weight: 600;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
      }
      .sides {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 1rem;
        margin-bottom: 0.75rem;
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
      .empty {
        color: var(--kaari-muted);
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.editing = null;
    this.error = null;
    this.data = new LiveQuery(this, ['outcome', 'conflict', 'client', 'unit', 'area', 'code_list', 'municipality'], async (engine) => {
      const [outcomes, conflicts, unsent, lookups] = await Promise.all([
        engine.outcomes(),
        engine.query('conflict'),
        engine.unsent(),
        lookupsFrom(engine),
      ]);
      return { outcomes, conflicts, unsent, lookups };
    });
  }

  focusHeading() {
    this.renderRoot.querySelector('h1')?.focus();
  }

  get engine() {
    return currentEngine();
  }

  async act(work) {
    this.error = null;
    try {
      await work();
    } catch (error) {
      this.error = error?.message === 'storage_full' ? t('sync.storageFull') : t('error.unexpected');
    }
  }

  resend(event, outcome) {
    event.preventDefault();
    const form = new FormData(event.target);
    const args = structuredClone(outcome.args);
    for (const [path, value] of form) {
      // `changes.email`: a field of the object a change mutation carries its fields in.
      const [owner, name] = path.includes('.') ? path.split('.', 2) : [null, path];
      const target = owner ? args[owner] : args;
      const original = target[name];
      if (Array.isArray(original)) target[name] = String(value).split(',').map((v) => v.trim()).filter(Boolean);
      else if (typeof original === 'number') target[name] = Number(value);
      else if (original === null && value === '') target[name] = null;
      else target[name] = String(value);
    }
    this.act(async () => {
      await this.engine.resend(outcome, args);
      this.editing = null;
    });
  }

  resolve(conflict, choice, outcome = null) {
    this.act(async () => {
      await this.engine.mutate('conflict.resolve', { conflict_id: conflict.id, choice });
      if (outcome) await this.engine.dismiss(outcome.id);
    });
  }

  renderEditor(outcome) {
    const plain = (v) => v === null || typeof v !== 'object' || Array.isArray(v);
    // A change mutation (`client.update`, `event.update`…) carries its fields in one object: edit those.
    const editable = Object.entries(outcome.args ?? {}).flatMap(([name, value]) =>
      plain(value) ? [[name, value]] : Object.entries(value).filter(([, v]) => plain(v)).map(([field, v]) => [`${name}.${field}`, v]),
    );
    return html`<form @submit=${(e) => this.resend(e, outcome)} data-testid="fix-form">
      ${editable.map(
        ([name, value]) => html`<div class="field">
          <label for="fix-${outcome.id}-${name}">${fieldLabel(name.split('.').pop())}</label>
          <input id="fix-${outcome.id}-${name}" name=${name} .value=${Array.isArray(value) ? value.join(', ') : (value ?? '')} />
        </div>`,
      )}
      <div class="actions">
        <button class="primary" type="submit">${t('attention.send')}</button>
        <button class="secondary" type="button" @click=${() => (this.editing = null)}>${t('attention.cancel')}</button>
      </div>
    </form>`;
  }

  renderConflictSides(conflict, lookups) {
    const show = (value) => (value == null || value === '' ? t('attention.noValue') : String(lookups.name(conflict.field, value)));
    return html`<p>${t('attention.conflictField', { field: fieldLabel(conflict.field) })}</p>
      <div class="sides" data-testid="conflict-sides">
        <div class="side">
          <p class="muted">${t('attention.kept')}</p>
          <p class="value">${show(conflict.kept_value)}</p>
        </div>
        <div class="side">
          <p class="muted">${t('attention.proposed')}</p>
          <p class="value">${show(conflict.proposed_value)}</p>
        </div>
      </div>`;
  }

  renderDecision(conflict, outcome = null) {
    if (!mayDecide(conflict, this.session.user.id)) {
      return html`<p class="muted">${t('attention.awaitingDecision')}</p>
        ${outcome
          ? html`<div class="actions">
              <button class="secondary" type="button" @click=${() => this.act(() => this.engine.dismiss(outcome.id))}>
                ${t('attention.acknowledge')}
              </button>
            </div>`
          : ''}`;
    }
    return html`<div class="actions">
      <button class="primary" type="button" @click=${() => this.resolve(conflict, 'kept', outcome)}>${t('attention.keep')}</button>
      <button class="primary" type="button" @click=${() => this.resolve(conflict, 'proposed', outcome)}>
        ${t('attention.takeProposed')}
      </button>
    </div>`;
  }

  renderOutcome(outcome, { conflicts, lookups }) {
    const title = mutationTitle(outcome.name);
    if (outcome.status === 'conflict') {
      const record = conflicts.all.get(outcome.conflict_id);
      const conflict = record && { ...record.data, scopes: record.scopes };
      return html`<li class="item" data-testid="attention-item">
        <h3>${title}: ${t('attention.conflict')}</h3>
        ${conflict
          ? html`${this.renderConflictSides(conflict, lookups)}${conflict.status === 'open'
              ? this.renderDecision(conflict, outcome)
              : html`<p>${t('attention.resolved')}</p>
                  <button class="secondary" type="button" @click=${() => this.act(() => this.engine.dismiss(outcome.id))}>
                    ${t('attention.acknowledge')}
                  </button>`}`
          : html`<p class="muted">${t('attention.conflictNotHere')}</p>
              <button class="secondary" type="button" @click=${() => this.act(() => this.engine.dismiss(outcome.id))}>
                ${t('attention.acknowledge')}
              </button>`}
      </li>`;
    }
    const alternatives = outcome.details?.alternatives ?? [];
    return html`<li class="item rejected" data-testid="attention-item">
      <h3>${title}</h3>
      <p class="reason">${t('attention.rejected')}: ${outcome.message || outcome.code} (${outcome.code})</p>
      <dl>
        ${describeArgs(outcome.name, outcome.args ?? {}, lookups).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}
      </dl>
      ${alternatives.length
        ? html`<p>${t('attention.alternatives')}</p>
            <ul data-testid="alternatives">
              ${alternatives.map((a) => html`<li>${label(a.labels) || a.code} (${t('attention.free', { count: a.free })})</li>`)}
            </ul>`
        : ''}
      ${this.editing === outcome.id
        ? this.renderEditor(outcome)
        : html`<div class="actions">
            ${outcome.args
              ? html`<button class="primary" type="button" @click=${() => (this.editing = outcome.id)}>${t('attention.fix')}</button>`
              : ''}
            <button class="secondary" type="button" @click=${() => this.act(() => this.engine.dismiss(outcome.id))}>
              ${t('attention.discard')}
            </button>
          </div>`}
    </li>`;
  }

  updated() {
    // Client names shown here are views of client data held on this device: logged (audit.viewed).
    const shown = this.data.value?.lookups.clientIds;
    if (shown?.size) this.engine?.recordView([...shown], 'attention');
  }

  render() {
    const data = this.data.value;
    const conflictsById = new Map((data?.conflicts ?? []).map((c) => [c.id, c]));
    const held = new Set((data?.outcomes ?? []).map((o) => o.conflict_id).filter(Boolean));
    const decidable = (data?.conflicts ?? []).filter(
      (c) => c.data.status === 'open' && !held.has(c.id) && mayDecide(c, this.session.user.id),
    );
    return html`<main class="page wide">
      <div class="card">
        <h1 tabindex="-1">${t('attention.title')}</h1>
        <div role="alert">${this.error ? html`<div class="notice error"><p>${this.error}</p></div>` : ''}</div>
        ${data === undefined ? html`<p class="muted">${t('common.loading')}</p>` : ''}
        ${data && !data.outcomes.length && !decidable.length
          ? html`<p class="empty" data-testid="attention-empty">${t('attention.none')}</p>`
          : ''}
        ${data?.outcomes.length
          ? html`<ul class="items">
              ${data.outcomes.map((o) => this.renderOutcome(o, { conflicts: { all: conflictsById }, lookups: data.lookups }))}
            </ul>`
          : ''}
        ${decidable.length
          ? html`<h2>${t('attention.openConflicts')}</h2>
              <ul class="items">
                ${decidable.map(
                  (c) => html`<li class="item" data-testid="open-conflict">
                    <h3>${t('attention.conflictOn', { type: c.data.record_type })}</h3>
                    ${this.renderConflictSides({ ...c.data, scopes: c.scopes }, data.lookups)}
                    ${this.renderDecision({ ...c.data, scopes: c.scopes })}
                  </li>`,
                )}
              </ul>`
          : ''}
        ${data?.unsent.length
          ? html`<h2>${t('attention.unsent', { count: data.unsent.length })}</h2>
              <ul data-testid="unsent">
                ${data.unsent.map((m) => html`<li>${mutationTitle(m.name)} · ${new Date(m.client_time).toLocaleString()}</li>`)}
              </ul>`
          : ''}
      </div>
    </main>`;
  }
}

customElements.define('kaari-attention', KaariAttention);
