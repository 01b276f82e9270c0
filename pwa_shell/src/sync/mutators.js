// Local mutators: how each mutation shows on this device before the server has answered. Each is
// `async (tx, args) => {}` writing records shaped as the server publishes them (see the `*_data`
// functions of each server domain), so a pull replaces the optimistic record with the server's own
// without the screen changing shape. The server re-runs every mutation and is the one that decides;
// a mutation with no mutator here simply shows after the next pull. A booking shows as
// `status: 'pending_confirmation'` until the server has checked the unit's capacity.
//
// Screens add their own with registerMutator(name, fn) (see README: "The sync engine").
import { attendanceId } from './ids.js';

export const mutators = new Map();

export function registerMutator(name, mutator) {
  mutators.set(name, mutator);
}

// --- attendance: one record per client, unit and day, merged as the server merges (§10) -------------

const instant = (value) => (value ? Date.parse(value) : null);

function mergeAttendance(state, event) {
  const pick = (a, b, better) => (a == null ? b : b == null ? a : better(instant(a), instant(b)) ? a : b);
  const checkedIn = pick(state.checked_in_at, event.checked_in_at, (a, b) => a <= b);
  const checkedOut = pick(state.checked_out_at, event.checked_out_at, (a, b) => a >= b);
  const present = checkedIn != null || checkedOut != null;
  const reasons = [state.absent_reason, event.absent_reason].filter(Boolean).sort();
  return { checked_in_at: checkedIn, checked_out_at: checkedOut, absent_reason: present ? null : (reasons[0] ?? null) };
}

function attendanceMutator(eventOf) {
  return async (tx, args) => {
    const id = attendanceId(args.client_id, args.unit_id, args.date);
    const current = (await tx.get('attendance', id)) ?? {
      id,
      client_id: args.client_id,
      unit_id: args.unit_id,
      date: args.date,
      checked_in_at: null,
      checked_out_at: null,
      absent_reason: null,
    };
    tx.put('attendance', id, { ...current, ...mergeAttendance(current, eventOf(args)) });
  };
}

registerMutator('attendance.check_in', attendanceMutator((a) => ({ checked_in_at: a.at })));
registerMutator('attendance.check_out', attendanceMutator((a) => ({ checked_out_at: a.at })));
registerMutator('attendance.mark_absent', attendanceMutator((a) => ({ absent_reason: a.reason })));

// --- guidance: contacts, events, clients ---------------------------------------------------------------

registerMutator('contact.record', async (tx, args) => {
  const { contact_id: id, ...fields } = args;
  if (await tx.get('contact', id)) return; // append-only: a replay changes nothing
  tx.put('contact', id, {
    id,
    occurred_at: fields.occurred_at,
    month: fields.occurred_at.slice(0, 7),
    follow_up: fields.follow_up ?? false,
    channel: fields.channel,
    caller_type: fields.caller_type,
    contact_type: fields.contact_type,
    topics: fields.topics,
    resolution: fields.resolution,
    area_id: fields.area_id,
    service_point_id: fields.service_point_id ?? null,
    client_id: fields.client_id ?? null,
    counsellor_id: tx.context.userId,
    note: fields.note ?? null,
    duration_minutes: fields.duration_minutes ?? null,
    created_at: tx.context.now,
  });
});

registerMutator('contact.link_client', async (tx, { contact_id: id, client_id: clientId }) => {
  const contact = await tx.get('contact', id);
  if (contact && !contact.client_id) tx.put('contact', id, { ...contact, client_id: clientId });
});

registerMutator('client.create', async (tx, args) => {
  if (await tx.get('client', args.client_id)) return;
  tx.put('client', args.client_id, {
    id: args.client_id,
    first_name: args.first_name,
    last_name: args.last_name,
    birth_date: args.birth_date ?? null,
    municipality_id: args.municipality_id,
    phone: args.phone ?? null,
    address: args.address ?? null,
    email: args.email ?? null,
    languages: args.languages ?? [],
    service_language: args.service_language ?? null,
    revision: 1,
  });
});

registerMutator('client.update', async (tx, { client_id: id, changes }) => {
  const client = await tx.get('client', id);
  if (client) tx.put('client', id, { ...client, ...changes });
});

registerMutator('event.record', async (tx, args) => {
  const { event_id: id, ...fields } = args;
  if (await tx.get('event', id)) return;
  tx.put('event', id, {
    id,
    kind: fields.kind,
    title: fields.title,
    topics: fields.topics ?? [],
    held_on: fields.held_on,
    month: fields.held_on.slice(0, 7),
    area_id: fields.area_id,
    service_point_id: fields.service_point_id ?? null,
    place: fields.place ?? null,
    organiser_id: tx.context.userId,
    organiser_name: fields.organiser_name ?? null,
    participant_count: fields.participant_count,
    participants: [],
    note: fields.note ?? null,
    created_at: tx.context.now,
  });
});

registerMutator('event.update', async (tx, { event_id: id, changes }) => {
  const event = await tx.get('event', id);
  if (event) tx.put('event', id, { ...event, ...changes });
});

registerMutator('event.add_participant', async (tx, { event_id: id, client_id: clientId }) => {
  const event = await tx.get('event', id);
  if (!event || event.participants.includes(clientId)) return;
  const participants = [...event.participants, clientId].sort();
  tx.put('event', id, { ...event, participants, participant_count: Math.max(event.participant_count, participants.length) });
});

registerMutator('event.remove_participant', async (tx, { event_id: id, client_id: clientId }) => {
  const event = await tx.get('event', id);
  if (event) tx.put('event', id, { ...event, participants: event.participants.filter((p) => p !== clientId) });
});

registerMutator('conflict.resolve', async (tx, { conflict_id: id, choice, value }) => {
  const conflict = await tx.get('conflict', id);
  if (!conflict || conflict.status === 'resolved') return;
  const chosen = { kept: conflict.kept_value, proposed: conflict.proposed_value, value }[choice];
  tx.put('conflict', id, { ...conflict, status: 'resolved', resolution: choice, resolved_value: chosen, resolved_by: tx.context.userId });
});

// --- places: a booking is "pending confirmation" until the server has checked capacity (§6) -----------

const careDays = (start, end) => Math.round((Date.parse(end) - Date.parse(start)) / 86_400_000) + 1;

registerMutator('stay.book', async (tx, args) => {
  if (await tx.get('stay', args.stay_id)) return;
  tx.put('stay', args.stay_id, {
    id: args.stay_id,
    client_id: args.client_id,
    unit_id: args.unit_id,
    start_date: args.start_date,
    end_date: args.end_date,
    status: 'pending_confirmation', // the server answers `booked`, or rejects it capacity_exhausted
    care_days: careDays(args.start_date, args.end_date),
    series_id: null,
  });
});

registerMutator('stay.cancel', async (tx, { stay_id: id }) => {
  const stay = await tx.get('stay', id);
  if (stay) tx.put('stay', id, { ...stay, status: 'cancelled' });
});

// --- unit work: follow-up tasks, residents' absences ------------------------------------------------

async function completeTask(tx, { task_id: id, outcome }) {
  const task = await tx.get('task', id);
  if (!task || task.status === 'done') return; // closing a closed task changes nothing
  tx.put('task', id, { ...task, status: 'done', outcome, closed_by: tx.context.userId, closed_at: tx.context.now });
}

registerMutator('task.close', completeTask); // the no-show follow-up's name for it
registerMutator('task.complete', completeTask); // the same under the tasks domain's name

registerMutator('residency.absence', async (tx, args) => {
  const residency = await tx.get('residency', args.residency_id);
  if (!residency || residency.absences.some((a) => a.id === args.absence_id)) return;
  const absence = { id: args.absence_id, start_date: args.start_date, end_date: args.end_date, reason: args.reason };
  const absences = [...residency.absences, absence].sort((a, b) => a.start_date.localeCompare(b.start_date) || a.id.localeCompare(b.id));
  tx.put('residency', args.residency_id, { ...residency, absences });
});
