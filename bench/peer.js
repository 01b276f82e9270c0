// The peer's half of `python -m bench peer`: CouchDB-protocol replication with the PouchDB client.
//
// node peer.js <server url> <db name> <docs> <batch>
// A local PouchDB (pouchdb-node, LevelDB) gets <docs> contact-like documents (not timed), replicates them
// to pouchdb-server in batches of <batch> (timed), then a fresh local PouchDB replicates them back (timed).
// Prints one JSON line: {"push_s", "pull_s", "pushed", "pulled"}.
"use strict";
const path = require("path");
const PouchDB = require("pouchdb-node");

const [url, name, docsArg, batchArg] = process.argv.slice(2);
const docs = Number(docsArg);
const batch = Number(batchArg);
const scratch = process.cwd();

function contact(n) {
  // The same fields as the `contact.record` args of the Kaari side.
  const at = new Date(Date.now() - n * 60000).toISOString();
  return {
    _id: `contact:${name}:${String(n).padStart(8, "0")}`,
    type: "contact",
    occurred_at: at,
    month: at.slice(0, 7),
    follow_up: false,
    channel: "phone",
    caller_type: "client",
    contact_type: "guidance",
    topics: ["housing"],
    resolution: "resolved",
    area_id: "7656b751-b297-5cb0-a4cf-0c67a714136e",
    service_point_id: null,
    client_id: null,
    counsellor_id: "4f0c3c4e-1a0b-5c1a-9a4b-2a1c3b4d5e6f",
    note: "Soitti ja kysyi palveluista.",
    duration_minutes: 10,
    created_at: at,
  };
}

async function main() {
  const source = new PouchDB(path.join(scratch, `${name}-source`));
  for (let i = 0; i < docs; i += 500) {
    const chunk = [];
    for (let n = i; n < Math.min(docs, i + 500); n++) chunk.push(contact(n));
    await source.bulkDocs(chunk);
  }
  const remote = `${url}/${name}`;
  let start = process.hrtime.bigint();
  const pushed = await PouchDB.replicate(source, remote, { batch_size: batch, batches_limit: 1 });
  const pushS = Number(process.hrtime.bigint() - start) / 1e9;
  const fresh = new PouchDB(path.join(scratch, `${name}-fresh`));
  start = process.hrtime.bigint();
  const pulled = await PouchDB.replicate(remote, fresh, { batch_size: batch, batches_limit: 1 });
  const pullS = Number(process.hrtime.bigint() - start) / 1e9;
  const count = (await fresh.info()).doc_count;
  await source.close();
  await fresh.close();
  console.log(
    JSON.stringify({ push_s: pushS, pull_s: pullS, pushed: pushed.docs_written, pulled: pulled.docs_written, count }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
