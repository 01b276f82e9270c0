// Housing and short-term care (/hoiva): who is in care in the unit today (24h residents and short-term
// stays), who arrives and who leaves today, residents away (hospital, home leave) and the unit's
// bookings, from this device's replica with the rules of server/places/in_care.py, so it works offline.
// Staff record a resident's absence (residency.absence), book a stay (stay.book: "pending confirmation"
// until the server has checked capacity) and cancel one (stay.cancel). The unit's open tasks are listed
// with the shared task list (views/kaari-tasks.js).
import { html } from 'lit';
import { language, t } from '../../i18n.js';
import { addScreen } from '../../screens.js';
import { LiveQuery, currentEngine, localDate, uuid4 } from '../../sync/index.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import '../kaari-tasks.js';
import { UnitScreen } from './unit-screen.js';
import { unitStyles } from './unit-styles.js';
import { IN_CARE, byClientName, dayAfter, fullName, initials, shortDate, staffUnits } from './units.js';

export const HOIVA_PATH = '/hoiva';
addScreen({ path: HOIVA_PATH, tag: 'kaari-hoiva', roles: ['unit_staff'], titleKey: 'hoiva.title', unitKinds: IN_CARE });

const UNIT_TASKS = ['unit_staff']; // the unit's own: a head count that does not match, a double check-in
const ABSENCE_REASONS = ['hospital', 'home_leave', 'other']; // server/places/models.py ABSENCE_REASONS
const covers = (start, end, day) => start <= day && (!end || end >= day);

/**
 * The unit's placements covering `day`, as server/places/in_care.py counts them: a residency (unless an
 * absence covers the day: then it is away, with that absence) or a stay that is booked, or booked on this
 * device and waiting for the server (pending confirmation).
 */
export function placementsOn(residencies, stays, day) {
  const present = [];
  const away = [];
  for (const { data: r, pending } of residencies) {
    if (!covers(r.move_in, r.move_out, day)) continue;
    const row = { kind: 'residency', id: r.id, client_id: r.client_id, start: r.move_in, end: r.move_out, pending };
    const absence = r.absences.find((a) => covers(a.start_date, a.end_date, day));
    (absence ? away : present).push({ ...row, absence });
  }
  for (const { data: s, pending } of stays) {
    if (s.status === 'cancelled' || !covers(s.start_date, s.end_date, day)) continue;
    present.push({ kind: 'stay', id: s.id, client_id: s.client_id, start: s.start_date, end: s.end_date, status: s.status, pending });
  }
  const flag = (p) => ({ ...p, arriving: p.start === day, leaving: p.end === day });
  return { present: present.map(flag), away };
}

class KaariHoiva extends UnitScreen {
  static properties = {
    ...UnitScreen.properties,
    booking: { state: true }, // {client_id, start, end} while the booking form is open
  };

  static styles = [sharedStyles, unitStyles];

  constructor() {
    super();
    this.booking = null;
    this.data = new LiveQuery(this, ['unit', 'residency', 'stay', 'client', 'free_places'], (engine) => this.load(engine));
  }

  async load(engine) {
    const today = localDate();
    const units = staffUnits({
      user: this.session.user,
      enrolment: this.enrolment,
      units: await engine.query('unit'),
      scopes: await engine.scopes(),
      kinds: IN_CARE,
    });
    const unit = units.find((u) => u.id === this.unitId) ?? units[0] ?? null;
    if (!unit) return { units, unit: null };
    const [residencies, stays, places] = await Promise.all([
      engine.query('residency', (r) => r.unit_id === unit.id),
      engine.query('stay', (s) => s.unit_id === unit.id),
      engine.query('free_places', (f) => f.unit_id === unit.id && f.date === today),
    ]);
    const { present, away } = placementsOn(residencies, stays, today);
    const bookings = stays
      .filter(({ data: s }) => s.status !== 'cancelled' && s.end_date >= today)
      .map(({ data, pending }) => ({ ...data, pending }))
      .sort((a, b) => a.start_date.localeCompare(b.start_date));
    // The unit's clients (the server publishes a client it serves into the unit's scope): named in the
    // lists, and who a new booking can be for.
    const scope = `unit:${unit.id}`;
    const ids = new Set([...residencies, ...stays].map((r) => r.data.client_id));
    const served = await engine.query('client', (c, record) => ids.has(c.id) || record.scopes?.includes(scope));
    const clients = new Map(served.map((c) => [c.id, c.data]));
    const order = byClientName(clients);
    return {
      units,
      unit,
      today,
      present: present.sort(order),
      away: away.sort(order),
      bookings,
      clients,
      bookable: served.filter((c) => c.scopes?.includes(scope)).map((c) => c.data).sort((a, b) => a.last_name.localeCompare(b.last_name) || a.first_name.localeCompare(b.first_name)),
      places: places[0]?.data ?? null,
    };
  }

  updated() {
    const data = this.data.value;
    const shown = data?.unit ? [...data.present, ...data.away, ...data.bookings].map((p) => p.client_id) : [];
    if (shown.length) currentEngine()?.recordView(shown, 'hoiva.in_care');
  }


  openResidentAbsence(row) {
    const today = this.data.value.today;
    this.openAbsence({ residency_id: row.id, client_id: row.client_id, start: today, end: today });
  }

  async saveAbsence(event) {
    event.preventDefault();
    const form = event.target;
    const { residency_id: residencyId, client_id: clientId } = this.absence;
    const reason = form.reason.value;
    const start = form.start.value;
    const end = form.end.value;
    if (!reason || !start || !end || end < start) {
      this.absence = { ...this.absence, error: t('hoiva.error.period') };
      return;
    }
    const name = fullName(this.data.value.clients.get(clientId));
    this.closeAbsence();
    await this.write(
      'residency.absence',
      { absence_id: uuid4(), residency_id: residencyId, start_date: start, end_date: end, reason },
      t('hoiva.absenceSaved', { name }),
    );
  }

  async book(event) {
    event.preventDefault();
    const form = event.target;
    const clientId = form.client.value;
    const start = form.start.value;
    const end = form.end.value;
    if (!clientId || !start || !end || end < start) {
      this.booking = { ...this.booking, error: t('hoiva.error.booking') };
      return;
    }
    const ok = await this.write(
      'stay.book',
      { stay_id: uuid4(), client_id: clientId, unit_id: this.data.value.unit.id, start_date: start, end_date: end },
      t('hoiva.booked', { name: fullName(this.data.value.clients.get(clientId)) }),
    );
    if (ok) this.booking = null;
  }

  async cancel(stay) {
    const name = fullName(this.data.value.clients.get(stay.client_id));
    if (!window.confirm(t('hoiva.confirmCancel', { name, start: shortDate(stay.start_date, language()) }))) return;
    await this.write('stay.cancel', { stay_id: stay.id }, t('hoiva.cancelled', { name }));
  }

  /** A client's line: initials, name and `details` under it. */
  who(row, details) {
    const client = this.data.value.clients.get(row.client_id);
    return html`<span class="initials small" aria-hidden="true">${initials(client)}</span>
      <span class="grow"><strong>${fullName(client) || t('paiva.unknownClient')}</strong><br />${details}</span>`;
  }

  period(start, end) {
    const lang = language();
    return end ? `${shortDate(start, lang)}–${shortDate(end, lang)}` : t('hoiva.since', { date: shortDate(start, lang) });
  }

  renderInCare() {
    const { present } = this.data.value;
    if (!present.length) return html`<p class="muted" data-testid="nobody">${t('hoiva.nobody')}</p>`;
    return html`<ul class="rows" data-testid="in-care">
      ${present.map(
        (row) => html`<li class="row" data-testid="in-care-row" data-client=${row.client_id}>
          ${this.who(
            row,
            html`<span class="muted">${t(`hoiva.kind.${row.kind}`)} · ${this.period(row.start, row.end)}</span>
              ${row.arriving ? html` <span class="badge flag">${t('hoiva.arriving')}</span>` : ''}
              ${row.leaving ? html` <span class="badge flag">${t('hoiva.leaving')}</span>` : ''}
              ${row.status === 'pending_confirmation' ? html` <span class="badge">${t('hoiva.pendingConfirmation')}</span>` : ''}
              ${row.pending && row.status !== 'pending_confirmation' ? html` <span class="badge">${t('common.notSent')}</span>` : ''}`,
          )}
          ${row.kind === 'residency'
            ? html`<button class="secondary" type="button" aria-label=${t('hoiva.absenceFor', { name: fullName(this.data.value.clients.get(row.client_id)) })}
                @click=${() => this.openResidentAbsence(row)}>${t('hoiva.absence')}</button>`
            : ''}
        </li>`,
      )}
    </ul>`;
  }

  renderMoves(kind) {
    const rows = this.data.value.present.filter((p) => p[kind]);
    if (!rows.length) return html`<p class="muted">${t(`hoiva.no.${kind}`)}</p>`;
    return html`<ul class="rows" data-testid=${kind}>
      ${rows.map((row) => html`<li class="row">${this.who(row, html`<span class="muted">${t(`hoiva.kind.${row.kind}`)}</span>`)}</li>`)}
    </ul>`;
  }

  renderAway() {
    const { away } = this.data.value;
    if (!away.length) return html`<p class="muted">${t('hoiva.noAbsences')}</p>`;
    return html`<ul class="rows" data-testid="away">
      ${away.map(
        (row) => html`<li class="row">
          ${this.who(
            row,
            html`<span class="muted">${t(`hoiva.reason.${row.absence.reason}`)} · ${this.period(row.absence.start_date, row.absence.end_date)}</span>
              ${row.pending ? html` <span class="badge">${t('common.notSent')}</span>` : ''}`,
          )}
        </li>`,
      )}
    </ul>`;
  }

  renderBookings() {
    const { bookings, clients } = this.data.value;
    return html`${bookings.length
        ? html`<table data-testid="bookings">
            <caption>${t('hoiva.bookingsCaption')}</caption>
            <thead><tr><th scope="col">${t('field.client_id')}</th><th scope="col">${t('hoiva.period')}</th><th scope="col">${t('hoiva.careDays')}</th><th scope="col">${t('hoiva.status')}</th><th scope="col"><span class="muted">${t('hoiva.actions')}</span></th></tr></thead>
            <tbody>
              ${bookings.map(
                (stay) => html`<tr data-testid="booking" data-client=${stay.client_id} data-stay=${stay.id}>
                  <td>${fullName(clients.get(stay.client_id)) || t('paiva.unknownClient')}</td>
                  <td>${this.period(stay.start_date, stay.end_date)}</td>
                  <td>${stay.care_days}</td>
                  <td>${t(`hoiva.stay.${stay.status}`)}${stay.pending && stay.status !== 'pending_confirmation' ? html` <span class="badge">${t('common.notSent')}</span>` : ''}</td>
                  <td>${stay.status === 'booked'
                    ? html`<button class="secondary" type="button" aria-label=${t('hoiva.cancelFor', { name: fullName(clients.get(stay.client_id)) })} @click=${() => this.cancel(stay)}>${t('hoiva.cancel')}</button>`
                    : ''}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">${t('hoiva.noBookings')}</p>`}
      ${this.data.value.unit.data.kind === 'short_term_care' ? this.renderBookingForm() : ''}`;
  }

  renderBookingForm() {
    const { bookable, today } = this.data.value;
    if (!this.booking) {
      return html`<p><button class="primary" type="button" @click=${() => (this.booking = { start: today, end: dayAfter(today, 6) })}>${t('hoiva.newBooking')}</button></p>`;
    }
    return html`<form class="booking" data-testid="booking-form" @submit=${this.book} novalidate>
      <h3>${t('hoiva.newBooking')}</h3>
      ${this.booking.error ? html`<div class="notice error" role="alert"><p>${this.booking.error}</p></div>` : ''}
      <div class="field">
        <label for="client">${t('field.client_id')}</label>
        <select id="client" name="client" required>
          <option value="">${t('common.choose')}</option>
          ${bookable.map((c) => html`<option value=${c.id}>${fullName(c)}</option>`)}
        </select>
      </div>
      <div class="field"><label for="start">${t('field.start_date')}</label><input id="start" name="start" type="date" required .value=${this.booking.start} /></div>
      <div class="field"><label for="end">${t('field.end_date')}</label><input id="end" name="end" type="date" required .value=${this.booking.end} /></div>
      <p class="muted">${t('hoiva.bookingHint')}</p>
      <div class="actions">
        <button class="primary" type="submit">${t('hoiva.book')}</button>
        <button class="secondary" type="button" @click=${() => (this.booking = null)}>${t('attention.cancel')}</button>
      </div>
    </form>`;
  }

  renderResidentAbsence() {
    const { absence } = this;
    if (!absence) return this.renderAbsenceDialog({});
    return this.renderAbsenceDialog({
      title: t('hoiva.absenceTitle', { name: fullName(this.data.value.clients.get(absence.client_id)) }),
      save: t('hoiva.saveAbsence'),
      body: html`<fieldset class="plain">
          <legend>${t('paiva.reason')}</legend>
          ${ABSENCE_REASONS.map(
            (reason) => html`<label class="radio"><input type="radio" name="reason" value=${reason} required /> ${t(`hoiva.reason.${reason}`)}</label>`,
          )}
        </fieldset>
        <div class="field"><label for="absence-start">${t('field.start_date')}</label><input id="absence-start" name="start" type="date" required .value=${absence.start} /></div>
        <div class="field"><label for="absence-end">${t('field.end_date')}</label><input id="absence-end" name="end" type="date" required .value=${absence.end} /></div>`,
    });
  }

  render() {
    const data = this.data.value;
    if (!data?.unit) return this.renderNoUnit('hoiva.title', data, 'hoiva.noUnit');
    const places = data.places;
    return html`<main class="page full">
      <div class="card">
        ${this.renderTop('hoiva.title', data)}
        <dl class="summary" data-testid="summary">
          <div><dt>${t('hoiva.count.inCare')}</dt><dd data-testid="count-in-care">${data.present.length}</dd></div>
          <div><dt>${t('hoiva.count.arriving')}</dt><dd>${data.present.filter((p) => p.arriving).length}</dd></div>
          <div><dt>${t('hoiva.count.leaving')}</dt><dd>${data.present.filter((p) => p.leaving).length}</dd></div>
          <div><dt>${t('hoiva.count.away')}</dt><dd>${data.away.length}</dd></div>
          ${places
            ? html`<div><dt>${t('hoiva.count.places')}</dt><dd>${places.capacity}</dd></div>
                <div><dt>${t('hoiva.count.free')}</dt><dd>${Math.max(0, places.free)}</dd></div>`
            : ''}
        </dl>
        <section aria-labelledby="in-care-title">
          <h2 id="in-care-title">${t('hoiva.inCare')}</h2>
          ${this.renderInCare()}
        </section>
      </div>
      <section class="card" aria-labelledby="tasks-title">
        <h2 id="tasks-title">${t('tasks.heading')}</h2>
        <kaari-tasks .roles=${UNIT_TASKS} .unitId=${data.unit.id} view="hoiva.tasks"></kaari-tasks>
      </section>
      <div class="columns">
        <section class="card" aria-labelledby="arriving-title">
          <h2 id="arriving-title">${t('hoiva.arrivingToday')}</h2>
          ${this.renderMoves('arriving')}
          <h2>${t('hoiva.leavingToday')}</h2>
          ${this.renderMoves('leaving')}
        </section>
        <section class="card" aria-labelledby="away-title">
          <h2 id="away-title">${t('hoiva.away')}</h2>
          ${this.renderAway()}
        </section>
      </div>
      <section class="card" aria-labelledby="bookings-title">
        <h2 id="bookings-title">${t('hoiva.bookings')}</h2>
        ${this.renderBookings()}
      </section>
      ${this.renderResidentAbsence()}
    </main>`;
  }
}

customElements.define('kaari-hoiva', KaariHoiva);
