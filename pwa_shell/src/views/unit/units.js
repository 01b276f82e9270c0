// What the unit screens (/paiva, /hoiva) share: which units the signed-in user works in, initials for
// the photo-less tiles, and the dates they show. Everything comes from the replica, so it works offline.
import { label } from '../../i18n.js';
import { localDate } from '../../sync/index.js';

export const DAY_ACTIVITY = ['day_activity'];
export const IN_CARE = ['housing_24h', 'short_term_care'];
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']; // Date.getDay() order

/**
 * The units of `kinds` the user works in here: on a shared tablet its own unit (the only one it holds),
 * else the units of the user's unit_staff grants (an area or region grant: every unit the replica holds).
 * `units` are the replica's `unit` records; `scopes` the replica's scopes. Ordered by name.
 */
export function staffUnits({ user, enrolment, units, scopes, kinds }) {
  const held = new Set(scopes.filter((s) => s.startsWith('unit:')).map((s) => s.slice(5)));
  const grants = user.roles.filter((g) => g.role === 'unit_staff');
  const wide = grants.some((g) => !g.unit_id);
  const granted = new Set(grants.map((g) => g.unit_id).filter(Boolean));
  return units
    .filter(({ data }) => kinds.includes(data.kind))
    .filter(({ id }) => (enrolment ? id === enrolment.unit_id : granted.has(id) || (wide && held.has(id))))
    .sort((a, b) => label(a.data.labels).localeCompare(label(b.data.labels)));
}

/** Two letters for a tile: first and last name's initials (no photos on a shared screen). */
export function initials(client) {
  const first = client?.first_name?.trim()?.[0] ?? '';
  const last = client?.last_name?.trim()?.[0] ?? '';
  return (first + last).toUpperCase() || '?';
}

export function fullName(client) {
  return client ? `${client.first_name} ${client.last_name}` : '';
}

/** Sort records by their client's last and first name. */
export function byClientName(clients) {
  const key = (id) => {
    const c = clients.get(id);
    return c ? `${c.last_name}\u0000${c.first_name}` : `\uffff${id}`;
  };
  return (a, b) => key(a.client_id).localeCompare(key(b.client_id));
}

/** Today and the next `days` days as local YYYY-MM-DD. */
export function dayAfter(day, days = 1) {
  const date = new Date(`${day}T12:00:00`);
  date.setDate(date.getDate() + days);
  return localDate(date);
}

export function weekdayOf(day) {
  return WEEKDAYS[new Date(`${day}T12:00:00`).getDay()];
}

/** A local date in the user's language, e.g. "ti 1.12." */
export function shortDate(day, language) {
  return new Date(`${day}T12:00:00`).toLocaleDateString(language, { weekday: 'short', day: 'numeric', month: 'numeric' });
}

export function clockTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
}
