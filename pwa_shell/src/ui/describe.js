// Words for a mutation and its arguments, for Needs attention and lists of unsent writes: ids become
// names (units, areas, municipalities, service points, clients) and codes their labels, from the
// replica; everything else is shown as it is.
import { label, t } from '../i18n.js';

/** "Kirjaus saapuneeksi" for attendance.check_in, or the mutation's own name if it has no title. */
export function mutationTitle(name) {
  const key = `mutation.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

/** Names from the replica for ids and codes. `clientIds`: the clients shown (for the access log). */
export async function lookupsFrom(engine) {
  const types = ['unit', 'area', 'municipality', 'service_point', 'code_list', 'client'];
  const [units, areas, municipalities, points, lists, clients] = await Promise.all(types.map((type) => engine.query(type)));
  const places = new Map([...units, ...areas, ...municipalities, ...points].map((r) => [r.id, r.data]));
  const codeLists = new Map(lists.map((r) => [r.id, r.data]));
  const people = new Map(clients.map((r) => [r.id, r.data]));
  const clientIds = new Set();
  return {
    clientIds,
    /** A readable value of `field` (in a mutation named `mutation`, for its code lists). */
    name(field, value, mutation = '') {
      if (value == null || value === '') return '–';
      if (Array.isArray(value)) return value.map((v) => this.name(field, v, mutation)).join(', ');
      if (typeof value === 'object') return JSON.stringify(value);
      if (field === 'client_id' && people.has(value)) {
        clientIds.add(value);
        const client = people.get(value);
        return `${client.first_name} ${client.last_name}`;
      }
      if (places.has(value)) return label(places.get(value).labels) || value;
      const list = codeLists.get(`${mutation.split('.')[0]}.${field}`);
      const code = list?.codes.find((c) => c.code === value);
      return code ? label(code.labels) : String(value);
    },
  };
}

/** "Aika" for occurred_at: the field's name in words, or as it is. */
export function fieldLabel(field) {
  const key = `field.${field}`;
  const text = t(key);
  return text === key ? field : text;
}

/** [[label, value], …] of a mutation's arguments, ids and codes named. */
export function describeArgs(mutation, args, lookups) {
  // A change mutation's `changes` object: each changed field on its own line.
  const nested = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  return Object.entries(args)
    .flatMap(([field, value]) => (nested(value) ? Object.entries(value) : [[field, value]]))
    .filter(([field]) => !field.endsWith('_id') || ['client_id', 'unit_id', 'area_id', 'municipality_id', 'service_point_id'].includes(field))
    .map(([field, value]) => [fieldLabel(field), lookups.name(field, value, mutation)]);
}
