// Identifiers and hashes the protocol fixes: record ids (UUIDv4 made on the device, UUIDv5 for
// attendance), and the per-record 64-bit hash behind the scope checksums (protocol §4).
//
// Hashing is synchronous (@noble/hashes, not crypto.subtle) on purpose: checksums are updated inside
// the IndexedDB transaction that applies a pull page, and awaiting anything but IndexedDB there would
// let the transaction commit half-way.
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';

const encoder = new TextEncoder();
const MOD = 1n << 64n;
export const ZERO_SUM = '0000000000000000';

/** A new random id for a record or a mutation. */
export function uuid4() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}

/** RFC 4122 name-based id (SHA-1), the same as Python's uuid.uuid5. */
export function uuid5(namespace, name) {
  const ns = parse(namespace);
  const data = new Uint8Array(ns.length + encoder.encode(name).length);
  data.set(ns);
  data.set(encoder.encode(name), ns.length);
  const bytes = sha1(data).slice(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return format(bytes);
}

function parse(uuid) {
  const hex = uuid.replace(/-/g, '');
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

function format(bytes) {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const ATTENDANCE_NAMESPACE = '6f1c2a8e-4b7d-5e0a-9c3f-2d8b1e7a4c60';

/** The one attendance record of a client in a unit on a day: every tablet names it alike (§10). */
export function attendanceId(clientId, unitId, day) {
  return uuid5(ATTENDANCE_NAMESPACE, `attendance:${clientId}:${unitId}:${day}`);
}

/** First 8 bytes, big-endian, of SHA-256("{type}:{id}:{version}"), as a BigInt. */
export function recordHash(type, id, version) {
  const digest = sha256(encoder.encode(`${type}:${id}:${version}`));
  let value = 0n;
  for (let i = 0; i < 8; i += 1) value = (value << 8n) | BigInt(digest[i]);
  return value;
}

/** Add (sign 1) or remove (sign -1) a record version from a scope's {count, sum} (sum as 16 hex). */
export function adjustSum(entry, type, id, version, sign) {
  const sum = BigInt('0x' + (entry?.sum ?? ZERO_SUM));
  const next = (((sum + BigInt(sign) * recordHash(type, id, version)) % MOD) + MOD) % MOD;
  return { count: (entry?.count ?? 0) + sign, sum: next.toString(16).padStart(16, '0') };
}
