// Day activity (/paiva): today's roster of the unit as large tiles with initials (no photos). One tap
// checks a client in, the next one out; "Poissa" records an absence with its reason. Below: the unit's
// open tasks (a no-show's call to the family, a head count that does not match, a client checked in at
// two units: views/kaari-tasks.js) and tomorrow's list. Everything is read from and written to this
// device's replica (schedules, attendance, clients, tasks), so the screen works the same with no
// network; a tile touched by an unsent write says so.
import { html } from 'lit';
import { label, language, t } from '../../i18n.js';
import { addScreen } from '../../screens.js';
import { LiveQuery, currentEngine, isoWithOffset, localDate } from '../../sync/index.js';
import { activeCodes, choiceGroup, choiceStyles } from '../../ui/choices.js';
import { sharedStyles } from '../../ui/shared-styles.js';
import '../kaari-tasks.js';
import { UnitScreen } from './unit-screen.js';
import { unitStyles } from './unit-styles.js';
import { DAY_ACTIVITY, byClientName, clockTime, dayAfter, fullName, initials, shortDate, staffUnits, weekdayOf } from './units.js';

export const PAIVA_PATH = '/paiva';
const UNIT_TASKS = ['unit_staff'];
addScreen({ path: PAIVA_PATH, tag: 'kaari-paiva', roles: ['unit_staff'], titleKey: 'paiva.title', unitKinds: DAY_ACTIVITY });

/** The attendance state of a record, as the server's roster names it. */
export function attendanceState(record) {
  if (!record) return 'expected';
  if (record.checked_out_at) return 'checked_out';
  if (record.checked_in_at) return 'checked_in';
  if (record.absent_reason) return 'absent';
  return 'expected';
}

function scheduledOn(schedule, day) {
  return (
    schedule.weekdays.includes(weekdayOf(day)) &&
    schedule.valid_from <= day &&
    (!schedule.valid_until || schedule.valid_until >= day)
  );
}

/** The clients of `unitId` on `day`: everyone scheduled, and anyone with an attendance record that day. */
function roster(schedules, attendance, unitId, day) {
  const rows = new Map();
  for (const { data } of schedules) {
    if (data.unit_id === unitId && scheduledOn(data, day)) rows.set(data.client_id, { client_id: data.client_id });
  }
  for (const record of attendance) {
    if (record.data.unit_id !== unitId || record.data.date !== day) continue;
    rows.set(record.data.client_id, { client_id: record.data.client_id, record: record.data, pending: record.pending });
  }
  return [...rows.values()].map((row) => ({ ...row, state: attendanceState(row.record) }));
}

class KaariPaiva extends UnitScreen {
  static styles = [sharedStyles, choiceStyles, unitStyles];

  constructor() {
    super();
    this.data = new LiveQuery(this, ['unit', 'schedule', 'attendance', 'client', 'code_list'], (engine) => this.load(engine));
  }

  async load(engine) {
    const today = localDate();
    const tomorrow = dayAfter(today);
    const units = staffUnits({
      user: this.session.user,
      enrolment: this.enrolment,
      units: await engine.query('unit'),
      scopes: await engine.scopes(),
      kinds: DAY_ACTIVITY,
    });
    const unit = units.find((u) => u.id === this.unitId) ?? units[0] ?? null;
    if (!unit) return { units, unit: null };
    const [schedules, attendance, reasons] = await Promise.all([
      engine.query('schedule', (s) => s.unit_id === unit.id),
      engine.query('attendance', (a) => a.unit_id === unit.id && (a.date === today || a.date === tomorrow)),
      engine.get('code_list', 'attendance.absent_reason'),
    ]);
    const todayRows = roster(schedules, attendance, unit.id, today);
    const tomorrowRows = roster(schedules, attendance, unit.id, tomorrow);
    const ids = new Set([...todayRows, ...tomorrowRows].map((r) => r.client_id));
    const clients = new Map();
    for (const id of ids) {
      const client = await engine.get('client', id);
      if (client) clients.set(id, client.data);
    }
    const order = byClientName(clients);
    return {
      units,
      unit,
      today,
      tomorrow,
      todayRows: todayRows.sort(order),
      tomorrowRows: tomorrowRows.sort(order),
      clients,
      reasons: activeCodes(new Map(reasons ? [[reasons.id, reasons.data]] : []), 'attendance.absent_reason'),
      open: (unit.data.opening_days ?? null) === null || unit.data.opening_days.includes(weekdayOf(today)),
    };
  }

  updated() {
    const data = this.data.value;
    if (data?.clients?.size) currentEngine()?.recordView([...data.clients.keys()], 'paiva.roster');
  }

  /** One tap: in if not yet in, out if in; a checked-out tile does nothing more. */
  tap(row) {
    const data = this.data.value;
    const client = data.clients.get(row.client_id);
    const args = { client_id: row.client_id, unit_id: data.unit.id, date: data.today, at: isoWithOffset() };
    if (row.state === 'checked_in') this.write('attendance.check_out', args, t('paiva.checkedOutNotice', { name: fullName(client) }));
    else if (row.state !== 'checked_out') this.write('attendance.check_in', args, t('paiva.checkedInNotice', { name: fullName(client) }));
  }

  openDayAbsence(row, day) {
    this.openAbsence({ client_id: row.client_id, day, reason: row.record?.absent_reason ?? null });
  }

  async saveAbsence(event) {
    event.preventDefault();
    const { client_id: clientId, day, reason } = this.absence;
    if (!reason) return;
    const data = this.data.value;
    const name = fullName(data.clients.get(clientId));
    this.closeAbsence();
    await this.write(
      'attendance.mark_absent',
      { client_id: clientId, unit_id: data.unit.id, date: day, reason },
      t('paiva.absentNotice', { name }),
    );
  }

  stateText(row) {
    const r = row.record;
    if (row.state === 'checked_in') return t('paiva.state.checked_in', { time: clockTime(r.checked_in_at) });
    if (row.state === 'checked_out') return t('paiva.state.checked_out', { time: clockTime(r.checked_out_at) });
    if (row.state === 'absent') return t('paiva.state.absent', { reason: this.reasonName(r.absent_reason) });
    return t('paiva.state.expected');
  }

  reasonName(code) {
    return label(this.data.value.reasons.find((r) => r.code === code)?.labels) || code;
  }

  renderTile(row) {
    const data = this.data.value;
    const client = data.clients.get(row.client_id);
    const name = fullName(client) || t('paiva.unknownClient');
    const action = { expected: 'checkIn', absent: 'checkIn', checked_in: 'checkOut', checked_out: null }[row.state];
    return html`<li class="tile ${row.state}" data-testid="tile" data-client=${row.client_id} data-state=${row.state}>
      <button class="tap" type="button" aria-disabled=${action ? 'false' : 'true'} @click=${() => this.tap(row)}>
        <span class="initials" aria-hidden="true">${initials(client)}</span>
        <!-- The name is the visible text, so speech input can say it (WCAG 2.5.3); the hidden parts only
             punctuate it for screen readers and add what a tap does. -->
        <span class="name">${name}</span><span class="visually-hidden">. </span>
        <span class="state">${this.stateText(row)}</span>
        ${row.pending ? html`<span class="visually-hidden">. </span><span class="badge">${t('common.notSent')}</span>` : ''}
        ${action ? html`<span class="visually-hidden">. ${t(`paiva.action.${action}`)}</span>` : ''}
      </button>
      ${row.state === 'expected' || row.state === 'absent'
        ? html`<button class="absent" type="button" aria-label=${t('paiva.markAbsentFor', { name })} @click=${() => this.openDayAbsence(row, data.today)}>
            ${t('paiva.markAbsent')}
          </button>`
        : ''}
    </li>`;
  }

  renderSummary(rows) {
    const count = (state) => rows.filter((r) => r.state === state).length;
    return html`<dl class="summary" data-testid="summary">
      ${['expected', 'checked_in', 'checked_out', 'absent'].map(
        (state) => html`<div><dt>${t(`paiva.count.${state}`)}</dt><dd>${count(state)}</dd></div>`,
      )}
    </dl>`;
  }

  renderTomorrow() {
    const { tomorrowRows, clients } = this.data.value;
    if (!tomorrowRows.length) return html`<p class="muted">${t('paiva.nobodyTomorrow')}</p>`;
    return html`<ul class="rows" data-testid="tomorrow">
      ${tomorrowRows.map((row) => {
        const name = fullName(clients.get(row.client_id)) || t('paiva.unknownClient');
        return html`<li class="row">
          <span class="initials small" aria-hidden="true">${initials(clients.get(row.client_id))}</span>
          <span class="grow">${name}${row.state === 'absent' ? html` · <span class="muted">${this.stateText(row)}</span>` : ''}
            ${row.pending ? html`<span class="badge">${t('common.notSent')}</span>` : ''}</span>
          ${row.state === 'expected'
            ? html`<button class="secondary" type="button" aria-label=${t('paiva.markAbsentFor', { name })}
                @click=${() => this.openDayAbsence(row, this.data.value.tomorrow)}>${t('paiva.markAbsent')}</button>`
            : ''}
        </li>`;
      })}
    </ul>`;
  }

  renderDialog() {
    const { absence } = this;
    if (!absence) return this.renderAbsenceDialog({});
    const data = this.data.value;
    return this.renderAbsenceDialog({
      title: t('paiva.absenceTitle', { name: fullName(data.clients.get(absence.client_id)) }),
      save: t('paiva.saveAbsence'),
      canSave: Boolean(absence.reason),
      body: html`<p class="muted">${shortDate(absence.day, language())}</p>
        ${choiceGroup({
          name: 'reason',
          legend: t('paiva.reason'),
          codes: data.reasons,
          selected: absence.reason,
          required: true,
          onChange: (code) => (this.absence = { ...this.absence, reason: code }),
        })}
        ${absence.reason === 'no_show' ? html`<p class="muted">${t('paiva.noShowHint')}</p>` : ''}`,
    });
  }

  render() {
    const data = this.data.value;
    if (!data?.unit) return this.renderNoUnit('paiva.title', data, 'paiva.noUnit');
    return html`<main class="page full">
      <div class="card">
        ${this.renderTop('paiva.title', data)}
        <section aria-labelledby="today-title">
          <h2 id="today-title">${t('paiva.today')}</h2>
          ${data.todayRows.length ? this.renderSummary(data.todayRows) : ''}
          ${data.todayRows.length
            ? html`<p class="muted">${t('paiva.tapHint')}</p>
                <ul class="tiles" data-testid="roster">${data.todayRows.map((row) => this.renderTile(row))}</ul>`
            : html`<p class="muted" data-testid="no-roster">${data.open ? t('paiva.nobodyToday') : t('paiva.closedToday')}</p>`}
        </section>
      </div>
      <div class="columns">
        <section class="card" aria-labelledby="tasks-title">
          <h2 id="tasks-title">${t('tasks.heading')}</h2>
          <kaari-tasks .roles=${UNIT_TASKS} .unitId=${data.unit.id} view="paiva.tasks"></kaari-tasks>
        </section>
        <section class="card" aria-labelledby="tomorrow-title">
          <h2 id="tomorrow-title">${t('paiva.tomorrow', { date: shortDate(data.tomorrow, language()) })}</h2>
          ${this.renderTomorrow()}
        </section>
      </div>
      ${this.renderDialog()}
    </main>`;
  }
}

customElements.define('kaari-paiva', KaariPaiva);
