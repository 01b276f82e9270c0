// "Notifications on this device": Web Push switched on and off by the user (docs/notifications.md). The
// browser's permission prompt comes only after the click on "Turn notifications on"; the state is shown
// in words: on, off, blocked in the browser's settings (and how to allow), not supported, or not offered on
// a shared tablet (the server refuses those: the next user would see the previous one's notifications).
// Preferences: which events (of the user's roles), and for coordinators which areas and unit kinds; all
// ticked means everything, also what is added later (empty lists to the server).
import { LitElement, css, html } from 'lit';
import { ApiError } from '../api.js';
import { loadReference } from '../auth.js';
import { I18nController, label, t } from '../i18n.js';
import { EVENTS_BY_ROLE, UNIT_KINDS, pushState, stored, turnOff, turnOn } from '../push-subscription.js';
import { errorText } from '../ui/error-text.js';
import { sharedStyles } from '../ui/shared-styles.js';

/** The server's message, or the browser's own (a DOMException from pushManager.subscribe). */
function describeError(error) {
  if (error instanceof ApiError) return errorText(error).join(' ');
  return error?.message || String(error);
}

class KaariPushSwitch extends LitElement {
  static properties = {
    session: { attribute: false },
    enrolment: { attribute: false },
    online: { type: Boolean },
    state: { state: true }, // null (finding out), 'unsupported', 'blocked', 'on', 'off'
    busy: { state: true },
    message: { state: true }, // {kind, text}
    areas: { state: true }, // the reference areas the user may choose from
  };

  static styles = [
    sharedStyles,
    css`
      fieldset {
        margin: 0.5rem 0;
        border: 1px solid var(--kaari-border);
        border-radius: var(--kaari-radius);
      }
      label {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        min-height: var(--kaari-target);
      }
      input[type='checkbox'] {
        width: 1.5rem;
        height: 1.5rem;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
    `,
  ];

  constructor() {
    super();
    this.i18n = new I18nController(this);
    this.online = navigator.onLine;
    this.state = null;
    this.busy = false;
    this.message = null;
    this.areas = [];
  }

  get userId() {
    return this.session?.user.id;
  }

  get events() {
    const roles = new Set((this.session?.user.roles ?? []).map((g) => g.role));
    return Object.entries(EVENTS_BY_ROLE).flatMap(([role, events]) => (roles.has(role) ? events : []));
  }

  get coordinator() {
    return (this.session?.user.roles ?? []).some((g) => g.role === 'coordinator');
  }

  willUpdate(changed) {
    if (changed.has('session') && this.session) this.refresh();
  }

  async refresh() {
    this.saved = (await stored(this.userId))?.preferences ?? {};
    this.state = await pushState(this.userId);
    if (!this.coordinator) return;
    try {
      const { areas } = await loadReference(this.userId);
      const grants = this.session.user.roles.filter((g) => g.role === 'coordinator');
      const mine = grants.some((g) => !g.area_id) ? null : new Set(grants.map((g) => g.area_id));
      this.areas = (areas ?? []).filter((a) => !mine || mine.has(a.id));
    } catch {
      this.areas = []; // not known offline before a first load: everything of the user's areas
    }
  }

  /** The ticked choices; a group with everything ticked is sent empty (everything, also what comes later). */
  preferences() {
    const form = this.renderRoot.querySelector('form');
    const ticked = (name, all) => {
      const values = [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
      return values.length === all.length ? [] : values;
    };
    return {
      events: ticked('event', this.events),
      areas: this.coordinator ? ticked('area', this.areas) : [],
      unit_kinds: this.coordinator ? ticked('unit_kind', UNIT_KINDS) : [],
    };
  }

  async switchOn(event) {
    event.preventDefault();
    this.busy = true;
    this.message = null;
    try {
      const wasOn = this.state === 'on';
      const preferences = this.preferences();
      this.state = await turnOn(this.userId, preferences);
      if (this.state === 'on') this.saved = preferences;
      if (this.state === 'on') this.message = { kind: 'info', text: wasOn ? t('push.saved') : t('push.on') };
    } catch (error) {
      // Subscribing can fail in the browser (no push service reachable, a browser without one) or on the
      // server (refused subscription): said plainly, and the switch stays off.
      this.message = { kind: 'error', text: t('push.failed', { reason: describeError(error) }) };
      this.state = await pushState(this.userId);
    } finally {
      this.busy = false;
    }
  }

  async switchOff() {
    this.busy = true;
    this.message = null;
    try {
      await turnOff(this.userId);
    } catch (error) {
      this.message = { kind: 'error', text: t('push.offFailed', { reason: describeError(error) }) };
    } finally {
      this.state = await pushState(this.userId);
      this.busy = false;
    }
  }

  renderChoices() {
    const saved = this.saved ?? {};
    const on = (list, value) => !list?.length || list.includes(value);
    const box = (name, value, text, list) =>
      html`<label><input type="checkbox" name=${name} value=${value} ?checked=${on(list, value)} />${text}</label>`;
    return html`
      <fieldset>
        <legend>${t('push.events')}</legend>
        ${this.events.map((e) => box('event', e, t(`push.event.${e}`), saved.events))}
      </fieldset>
      ${this.coordinator && this.areas.length > 1
        ? html`<fieldset>
            <legend>${t('push.areas')}</legend>
            ${this.areas.map((a) => box('area', a.id, label(a.labels) || a.code, saved.areas))}
          </fieldset>`
        : ''}
      ${this.coordinator
        ? html`<fieldset>
            <legend>${t('push.unitKinds')}</legend>
            ${UNIT_KINDS.map((k) => box('unit_kind', k, t(`push.kind.${k}`), saved.unit_kinds))}
          </fieldset>`
        : ''}
    `;
  }

  renderBody() {
    if (this.enrolment) return html`<p data-testid="push-state" data-state="shared">${t('push.shared')}</p>`;
    if (this.state === null) return html`<p class="muted">${t('common.loading')}</p>`;
    if (this.state === 'unsupported') return html`<p data-testid="push-state" data-state="unsupported">${t('push.unsupported')}</p>`;
    if (this.state === 'blocked') {
      return html`<div class="notice error" data-testid="push-state" data-state="blocked">
        <p><strong>${t('push.blocked')}</strong></p>
        <p>${t('push.blockedHow')}</p>
      </div>`;
    }
    const on = this.state === 'on';
    return html`<p data-testid="push-state" data-state=${this.state}><strong>${on ? t('push.on') : t('push.off')}</strong></p>
      <form @submit=${(e) => this.switchOn(e)}>
        ${this.renderChoices()}
        ${!this.online ? html`<p class="muted">${t('push.offline')}</p>` : ''}
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this.busy || !this.online} data-testid="push-on">
            ${this.busy ? t('push.busy') : on ? t('push.save') : t('push.turnOn')}
          </button>
          ${on
            ? html`<button class="secondary" type="button" ?disabled=${this.busy} @click=${() => this.switchOff()} data-testid="push-off">
                ${t('push.turnOff')}
              </button>`
            : ''}
        </div>
      </form>`;
  }

  render() {
    return html`<section aria-labelledby="push-title">
      <h2 id="push-title">${t('push.heading')}</h2>
      <p class="muted">${t('push.intro')}</p>
      ${this.renderBody()}
      <div aria-live="polite" data-testid="push-message">
        ${this.message ? html`<div class="notice ${this.message.kind}" role=${this.message.kind === 'error' ? 'alert' : 'status'}><p>${this.message.text}</p></div>` : ''}
      </div>
    </section>`;
  }
}

customElements.define('kaari-push-switch', KaariPushSwitch);
