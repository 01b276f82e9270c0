// Local mutators of guidance's processes (server/assessments, server/applications, server/clients'
// record mutations), so the counsellor sees a step at once, offline too. Each writes the record as the
// server publishes it. What only the server can know stays empty until the next pull: the statutory
// rule and deadline of a new process (Finnish holidays), the referral and queue entry of a decision.
// The server decides: a step it refuses (`rai_required`, `invalid_state`) disappears at the next rebase
// and waits in Needs attention, and the process view shows the reason beside the process.
import { registerMutator } from '../../sync/index.js';

registerMutator('assessment.open', async (tx, args) => {
  if (await tx.get('assessment', args.assessment_id)) return;
  tx.put('assessment', args.assessment_id, {
    id: args.assessment_id,
    client_id: args.client_id,
    area_id: args.area_id ?? null,
    counsellor_id: args.counsellor_id ?? tx.context.userId,
    contact_id: args.contact_id ?? null,
    contacted_at: args.contacted_at,
    contact_on: args.contacted_at.slice(0, 10),
    urgent: args.urgent ?? false,
    age_at_contact: null,
    rule: null, // computed by the server (age and Finnish holidays)
    deadline: null,
    status: 'contacted',
    started_on: null,
    decided_on: null,
    decision: null,
    service_kind: null,
    regular: null,
    rai_id: null,
    referral_id: null,
    service_started_on: null,
    closed_on: null,
    close_reason: null,
  });
});

/** Move a process only from the state the server would move it from (else the server says why). */
function step(from, change) {
  return async (tx, args) => {
    const row = await tx.get('assessment', args.assessment_id);
    if (row && from.includes(row.status)) tx.put('assessment', row.id, { ...row, ...change(args, row) });
  };
}

registerMutator('assessment.start', step(['contacted'], (a) => ({ status: 'started', started_on: a.started_on })));
registerMutator(
  'assessment.decide',
  step(['started'], (a) => ({
    status: 'decided',
    decision: a.decision,
    decided_on: a.decided_on,
    service_kind: a.service_kind ?? null,
    regular: a.regular ?? true,
  })),
);
registerMutator('assessment.start_service', step(['decided'], (a) => ({ status: 'service_started', service_started_on: a.started_on })));
registerMutator(
  'assessment.close',
  step(['contacted', 'started', 'decided'], (a) => ({ status: 'closed', closed_on: a.closed_on, close_reason: a.reason })),
);

registerMutator('rai.record', async (tx, args) => {
  const current = await tx.get('rai_assessment', args.rai_id);
  if (current?.locked_at) return; // a locked result never changes
  const { rai_id: id, lock, ...fields } = args;
  tx.put('rai_assessment', id, {
    id,
    client_id: fields.client_id,
    assessment_id: fields.assessment_id ?? null,
    assessed_on: fields.assessed_on,
    instrument: fields.instrument,
    full: fields.full,
    maple: fields.maple ?? null,
    cps: fields.cps ?? null,
    adl_h: fields.adl_h ?? null,
    iadl_ch: fields.iadl_ch ?? null,
    chess: fields.chess ?? null,
    drs: fields.drs ?? null,
    scores: fields.scores ?? {},
    assessor_id: current?.assessor_id ?? tx.context.userId,
    locked_at: lock ? tx.context.now : null,
    locked_by: lock ? tx.context.userId : null,
  });
});

registerMutator('application.receive', async (tx, args) => {
  if (await tx.get('application', args.application_id)) return;
  tx.put('application', args.application_id, {
    id: args.application_id,
    client_id: args.client_id,
    area_id: args.area_id ?? null,
    service: args.service,
    received_on: args.received_on,
    assessment_id: args.assessment_id ?? null,
    handler_id: args.handler_id ?? null,
    status: args.handler_id ? 'in_process' : 'received',
    decision: null,
    decided_on: null,
    withdrawn_on: null,
    note: args.note ?? null,
  });
});

const OPEN_APPLICATION = ['received', 'in_process'];

async function moveApplication(tx, id, change) {
  const row = await tx.get('application', id);
  if (row && OPEN_APPLICATION.includes(row.status)) tx.put('application', id, { ...row, ...change(row) });
}

registerMutator('application.assign', (tx, a) => moveApplication(tx, a.application_id, () => ({ handler_id: a.handler_id, status: 'in_process' })));
registerMutator('application.decide', (tx, a) =>
  moveApplication(tx, a.application_id, (row) => ({
    status: 'decided',
    decision: a.decision,
    decided_on: a.decided_on,
    handler_id: row.handler_id ?? tx.context.userId,
  })),
);
registerMutator('application.withdraw', (tx, a) => moveApplication(tx, a.application_id, () => ({ status: 'withdrawn', withdrawn_on: a.withdrawn_on })));

registerMutator('consent.give', async (tx, args) => {
  if (await tx.get('consent', args.consent_id)) return; // written once
  tx.put('consent', args.consent_id, {
    id: args.consent_id,
    client_id: args.client_id,
    purpose: args.purpose,
    given_on: args.given_on,
    given_by: args.given_by ?? 'client',
    given_by_name: args.given_by_name ?? null,
    note: args.note ?? null,
    recorded_by: tx.context.userId,
    withdrawn_on: null,
    withdrawn_by: null,
  });
});

registerMutator('consent.withdraw', async (tx, args) => {
  const consent = await tx.get('consent', args.consent_id);
  if (!consent || consent.withdrawn_on) return; // the earliest withdrawal stays
  tx.put('consent', consent.id, { ...consent, withdrawn_on: args.withdrawn_on ?? tx.context.now.slice(0, 10), withdrawn_by: tx.context.userId });
});

registerMutator('client.add_close_person', async (tx, args) => {
  if (await tx.get('close_person', args.close_person_id)) return;
  const { close_person_id: id, ...fields } = args;
  tx.put('close_person', id, {
    id,
    client_id: fields.client_id,
    name: fields.name,
    relation: fields.relation,
    phone: fields.phone ?? null,
    email: fields.email ?? null,
    address: fields.address ?? null,
    primary_contact: fields.primary_contact ?? false,
    note: fields.note ?? null,
    removed_at: null,
  });
});

registerMutator('client.update_close_person', async (tx, { close_person_id: id, changes }) => {
  const person = await tx.get('close_person', id);
  if (person) tx.put('close_person', id, { ...person, ...changes }); // last writer per field, as the server
});

registerMutator('client.remove_close_person', async (tx, { close_person_id: id }) => {
  const person = await tx.get('close_person', id);
  if (person && !person.removed_at) tx.put('close_person', id, { ...person, removed_at: tx.context.now });
});

registerMutator('client.add_service', async (tx, args) => {
  if (await tx.get('client_service', args.service_id)) return;
  // The server's default area is that of the client's municipality; the device knows it from the replica.
  const client = await tx.get('client', args.client_id);
  const municipality = client && (await tx.get('municipality', client.municipality_id));
  tx.put('client_service', args.service_id, {
    id: args.service_id,
    client_id: args.client_id,
    kind: args.kind,
    counsellor_id: args.counsellor_id ?? null,
    service: args.service ?? null,
    area_id: args.area_id ?? municipality?.area_id ?? null,
    since: args.since,
    until: null,
  });
});

registerMutator('client.end_service', async (tx, { service_id: id, until }) => {
  const row = await tx.get('client_service', id);
  if (row && until >= row.since && (!row.until || until < row.until)) tx.put('client_service', id, { ...row, until }); // the earliest end stays
});
