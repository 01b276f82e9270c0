// Local mutators of the placement offers (server/queue/mutations.py), so the coordinator's board and
// queue show an offer at once, offline too: the open offer holds its place (the unit's free places go
// down by one on each day it covers, as the server counts it), the entry is `offered`; a decline gives
// the place back, an acceptance places the entry (the hold becomes the stay: free places do not move).
// The server decides; a rejected offer disappears at the next rebase and shows in Needs attention.
import { registerMutator } from '../../sync/index.js';
import { uuid5 } from '../../sync/ids.js';

const FREE_PLACES_NAMESPACE = '3d0c6a52-8f0e-5b8e-a3f1-5c7e0d2b9a41';
const PLACEMENT_NAMESPACE = '0f3e5d7c-9b1a-5c2e-8d4f-6a8b0c2e4f60';
const OFFER_HOURS = 48;
export const PUBLISHED_DAYS = 61; // free places are published for today and the next 60 days

export const freePlacesId = (unitId, day) => uuid5(FREE_PLACES_NAMESPACE, `free_places:${unitId}:${day}`);

/** 'YYYY-MM-DD' plus `days` calendar days. */
export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Change the occupied count of the unit's published days in [start, end] (end null: open-ended). */
async function hold(tx, unitId, start, end, delta) {
  const last = end ?? addDays(start, PUBLISHED_DAYS);
  for (let day = start; day <= last; day = addDays(day, 1)) {
    const id = freePlacesId(unitId, day);
    const places = await tx.get('free_places', id);
    if (places) tx.put('free_places', id, { ...places, occupied: places.occupied + delta, free: places.free - delta });
  }
}

registerMutator('placement.offer', async (tx, args) => {
  if (await tx.get('offer', args.offer_id)) return; // a replay changes nothing
  const entry = await tx.get('queue_entry', args.queue_entry_id);
  if (!entry || entry.status !== 'waiting') return; // the server will say why
  const expiresAt = args.expires_at ?? new Date(Date.parse(tx.context.now) + OFFER_HOURS * 3_600_000).toISOString();
  tx.put('offer', args.offer_id, {
    id: args.offer_id,
    queue_entry_id: entry.id,
    client_id: entry.client_id,
    unit_id: args.unit_id,
    start_date: args.start_date,
    end_date: args.end_date ?? null,
    expires_at: expiresAt,
    status: 'open',
    decline_reason: null,
    placement_id: null,
  });
  tx.put('queue_entry', entry.id, { ...entry, status: 'offered', offer_id: args.offer_id });
  await hold(tx, args.unit_id, args.start_date, args.end_date ?? null, 1);
});

async function answer(tx, offerId, status, entryStatus, extra = {}) {
  const offer = await tx.get('offer', offerId);
  if (!offer || offer.status !== 'open') return null;
  tx.put('offer', offerId, { ...offer, status, ...extra });
  const entry = await tx.get('queue_entry', offer.queue_entry_id);
  if (entry) tx.put('queue_entry', entry.id, { ...entry, status: entryStatus, offer_id: entryStatus === 'waiting' ? null : entry.offer_id });
  return offer;
}

registerMutator('placement.accept', async (tx, { offer_id: offerId }) => {
  await answer(tx, offerId, 'accepted', 'placed', { placement_id: uuid5(PLACEMENT_NAMESPACE, `placement:${offerId}`) });
});

registerMutator('placement.decline', async (tx, { offer_id: offerId, reason = null }) => {
  const offer = await answer(tx, offerId, 'declined', 'waiting', { decline_reason: reason });
  if (offer) await hold(tx, offer.unit_id, offer.start_date, offer.end_date, -1);
});
