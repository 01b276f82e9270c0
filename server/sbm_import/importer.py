"""`kaari import sbm`: bring one regional system's export folder into Kaari.

Each file is streamed in batches. A batch is parsed and checked row by row (a bad row is refused with its
line and reason, and costs nothing else), then what it needs from the database is read with one query per
kind (`IN (…)`), and its rows are written with one `executemany` per table. Every imported row is
remembered in `imported_records` under its system and source id, so a re-run skips it: running twice
changes nothing. The whole run is one transaction; `--dry-run` rolls it back, so it reports exactly what a
real run would do and writes nothing.

What may not be guessed is refused: an unknown label, a client missing from `asiakkaat.csv`, an identity
code whose check character is wrong. The same identity code in several systems is one client, and its
fields that differ open conflicts for a person to decide; the same name key and birth date without an
identity code to tell them apart is a possible duplicate (`server.clients.names`), never merged here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import identity_code
from server.accounts.models import User
from server.accounts.scopes import ADMIN, user_scope
from server.clients.models import Client, ClientIdentity
from server.clients.names import name_key
from server.clock import FINLAND, today_in_finland, utc_now
from server.conflicts.models import Conflict
from server.conflicts.service import conflict_data, conflict_id_for
from server.contacts.models import Contact, ContactTopic
from server.reference.loader import load_units
from server.reference.models import Unit
from server.sbm_import.csv_reader import CellError, ExportReader, Row, parse_date, parse_time
from server.sbm_import.mapping import SYSTEM_NAMES, UnknownLabel, Vocabulary, load_vocabulary
from server.sbm_import.models import ImportedRecord, PossibleDuplicate
from server.sbm_import.report import Report
from server.sbm_import.texts import Language, Text, t
from server.sync.changes import ChangeSet

IMPORT_NAMESPACE = uuid.UUID("0b6f3c52-9d0e-5a57-8f0e-5f1d3c2a9b10")
BATCH_ROWS = 2000
NOON = time(12, 0)  # a contact without a time of day: midday, so the Finnish date never shifts in UTC

CLIENTS_FILE = "asiakkaat.csv"
CONTACTS_FILE = "yhteydenotot.csv"
CLIENT_COLUMNS = (
    "Asiakasnumero",
    "Henkilötunnus",
    "Sukunimi",
    "Etunimet",
    "Syntymäaika",
    "Kotikunta",
    "Puhelin",
    "Lähiosoite",
    "Postinumero",
    "Postitoimipaikka",
    "Asiointikieli",
)
CONTACT_COLUMNS = (
    "Yhteydenottonumero",
    "Asiakasnumero",
    "Päivämäärä",
    "Kellonaika",
    "Kanava",
    "Yhteydenottaja",
    "Tyyppi",
    "Aiheet",
    "Ratkaisu",
    "Alue",
    "Palvelupiste",
    "Kirjaaja",
    "Kesto",
)
# Fields of a client that a second system may disagree on; a difference is a conflict to decide.
COMPARED_FIELDS = ("first_name", "last_name", "birth_date", "municipality_id", "phone", "address")


class RowRefused(Exception):
    """This row is not imported; `text` is the reason in the report (`server.sbm_import.texts`)."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


def record_id(system: str, kind: str, source_id: str) -> uuid.UUID:
    """The Kaari id of an imported row: the same on every run, so a re-run cannot create it twice."""
    return uuid.uuid5(IMPORT_NAMESPACE, f"{system}:{kind}:{source_id}")


def batches(rows: Iterable[Row], size: int = BATCH_ROWS) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def text(row: Row, column: str, *, required: bool = False, max_length: int | None = None) -> str | None:
    value = row.cells.get(column.casefold())
    if value is None:
        if required:
            raise RowRefused(t("no_value", column=column))
        return None
    if max_length is not None and len(value) > max_length:
        raise RowRefused(t("too_long", column=column, limit=max_length))
    return value


def cell(row: Row, column: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
    value = text(row, column, required=required)
    if value is None:
        return None
    try:
        return parse(value)
    except CellError as error:
        raise RowRefused(t("cell", column=column, error=error.text)) from None


def code(vocabulary: Vocabulary, kind: str, row: Row, column: str, *, required: bool = True) -> Any:
    value = text(row, column, required=required)
    if value is None:
        return None
    try:
        return vocabulary.resolve(kind, value)
    except UnknownLabel as error:
        raise RowRefused(t("cell", column=column, error=error.text)) from None


def integer(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not value.isdigit() or not low <= int(value) <= high:
            raise CellError(t("not_a_number", value=value, low=low, high=high))
        return int(value)

    return parse


@dataclass
class Importer:
    session: AsyncSession
    system: str
    directory: Path
    vocabulary: Vocabulary
    report: Report
    progress: Callable[[int], None] = lambda rows: None
    today: date = field(default_factory=today_in_finland)
    now: datetime = field(default_factory=utc_now)
    changes: ChangeSet = field(default_factory=ChangeSet)
    import_user_id: uuid.UUID | None = None
    recorders: dict[str, uuid.UUID] = field(default_factory=dict)
    touched_units: set[uuid.UUID] = field(default_factory=set)

    # -- shared steps ---------------------------------------------------------------------------------

    async def insert(self, table: Table | Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(getattr(table, "__table__", table)), rows)

    async def imported(self, kind: str, source_ids: Iterable[str]) -> dict[str, uuid.UUID]:
        """Source id → Kaari id of the rows of `kind` this system already brought in."""
        ids = list(set(source_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(ImportedRecord.source_id, ImportedRecord.record_id).where(
                ImportedRecord.system == self.system,
                ImportedRecord.kind == kind,
                ImportedRecord.source_id.in_(ids),
            )
        )
        return dict(rows.tuples().all())

    def remember(self, kind: str, source_id: str, target: uuid.UUID) -> dict[str, Any]:
        return {"system": self.system, "kind": kind, "source_id": source_id, "record_id": target}

    async def ensure_import_user(self) -> uuid.UUID:
        """The system itself as an author (conflicts it opens, contacts without a recorder)."""
        self.import_user_id = await self.staff_user(
            f"tuonti-{self.system}", f"Tuonti: {SYSTEM_NAMES[self.system]}"
        )
        return self.import_user_id

    async def staff_user(self, username: str, display_name: str) -> uuid.UUID:
        """An existing user of that name, or an inactive one with no roles (a former system's staff)."""
        found = await self.session.scalar(select(User.id).where(User.username == username))
        if found is not None:
            return found
        user_id = record_id(self.system, "user", username)
        await self.insert(
            User,
            [
                {
                    "id": user_id,
                    "username": username,
                    "display_name": display_name[:120],
                    "password_hash": "!",  # no password can match: the account only names an author
                    "language": "fi",
                    "active": False,
                    "created_at": self.now,
                }
            ],
        )
        return user_id

    async def recorder(self, name: str | None) -> uuid.UUID:
        if name is None:
            return self.import_user_id  # type: ignore[return-value]
        if name not in self.recorders:
            slug = re.sub(r"[^a-z0-9]+", ".", name.casefold()).strip(".")[:40] or "tuntematon"
            existing = await self.session.scalar(select(User.id).where(User.username == name))
            self.recorders[name] = existing or await self.staff_user(
                f"{self.system}.{slug}", f"{name} ({SYSTEM_NAMES[self.system]})"
            )
        return self.recorders[name]

    def open_file(
        self, name: str, columns: tuple[str, ...], required: tuple[str, ...]
    ) -> ExportReader | None:
        path = self.directory / name
        if not path.exists():
            return None
        return ExportReader(path, required=required, known=columns)

    # -- clients --------------------------------------------------------------------------------------

    def parse_client(self, row: Row) -> dict[str, Any]:
        source_id = text(row, "Asiakasnumero", required=True, max_length=64)
        code_text = text(row, "Henkilötunnus")
        code_value = None
        birth = cell(row, "Syntymäaika", parse_date)
        if code_text is not None:
            try:
                parsed = identity_code.parse(code_text)
            except identity_code.InvalidIdentityCode as error:
                raise RowRefused(t("identity_code", reason=t(f"identity.{error.reason}"))) from None
            if birth is not None and birth != parsed.birth_date:
                raise RowRefused(t("birth_date_differs"))
            code_value, birth = parsed.code, parsed.birth_date
        first = text(row, "Etunimet", required=True, max_length=100)
        last = text(row, "Sukunimi", required=True, max_length=100)
        street, postcode, town = (text(row, c) for c in ("Lähiosoite", "Postinumero", "Postitoimipaikka"))
        place = " ".join(part for part in (postcode, town) if part)
        address = ", ".join(part for part in (street, place) if part) or None
        if address is not None and len(address) > 200:
            raise RowRefused(t("address_too_long"))
        language = code(self.vocabulary, "language", row, "Asiointikieli", required=False) or None
        return {
            "line": row.line,
            "source_id": source_id,
            "identity_code": code_value,
            "first_name": first,
            "last_name": last,
            "birth_date": birth,
            "municipality_id": code(self.vocabulary, "municipality", row, "Kotikunta"),
            "phone": text(row, "Puhelin", max_length=40),
            "address": address,
            "service_language": language,
            "name_key": name_key(first or "", last or ""),
        }

    async def import_clients(self) -> None:
        reader = self.open_file(
            CLIENTS_FILE, CLIENT_COLUMNS, ("Asiakasnumero", "Sukunimi", "Etunimet", "Kotikunta")
        )
        if reader is None:
            return
        counts = self.report.counts(CLIENTS_FILE)
        seen: set[str] = set()
        for batch in batches(reader):
            parsed: list[dict[str, Any]] = []
            for row in batch:
                counts.read += 1
                try:
                    if not row.complete:
                        raise RowRefused(t("cut_short"))
                    client = self.parse_client(row)
                    if client["source_id"] in seen:
                        raise RowRefused(t("repeated", column="Asiakasnumero", source_id=client["source_id"]))
                    seen.add(client["source_id"])
                    parsed.append(client)
                except RowRefused as refusal:
                    self.report.refuse(CLIENTS_FILE, row.line, refusal.text)
            await self.client_batch(parsed)
            self.progress(len(batch))

    async def client_batch(self, parsed: list[dict[str, Any]]) -> None:
        counts = self.report.counts(CLIENTS_FILE)
        done = await self.imported("client", (c["source_id"] for c in parsed))
        codes = [c["identity_code"] for c in parsed if c["identity_code"]]
        by_code: dict[str, uuid.UUID] = {}
        if codes:
            found = await self.session.execute(
                select(ClientIdentity.identity_code, ClientIdentity.client_id).where(
                    ClientIdentity.identity_code.in_(codes)
                )
            )
            by_code = dict(found.tuples().all())
        keys = list({c["name_key"] for c in parsed})
        by_key: dict[tuple[str, date | None], list[tuple[uuid.UUID, str | None]]] = {}
        found_keys = await self.session.execute(
            select(
                ClientIdentity.name_key,
                ClientIdentity.birth_date,
                ClientIdentity.client_id,
                ClientIdentity.identity_code,
            ).where(ClientIdentity.name_key.in_(keys))
        )
        for key, born, client_id, code_value in found_keys.tuples():
            by_key.setdefault((key, born), []).append((client_id, code_value))
        existing = {}
        matched_ids = [by_code[c["identity_code"]] for c in parsed if c["identity_code"] in by_code]
        if matched_ids:
            for client in (
                await self.session.scalars(select(Client).where(Client.id.in_(matched_ids)))
            ).all():
                existing[client.id] = {name: getattr(client, name) for name in COMPARED_FIELDS}
        clients, identities, remembered, duplicates, conflicts = [], [], [], [], []
        for c in parsed:
            if c["source_id"] in done:
                counts.unchanged += 1
                continue
            code_value = c["identity_code"]
            if code_value in by_code:
                target = by_code[code_value]
                counts.matched += 1
                remembered.append(self.remember("client", c["source_id"], target))
                conflicts.extend(self.differences(target, existing.get(target), c))
                existing.setdefault(target, {name: c[name] for name in COMPARED_FIELDS})
                continue
            target = record_id(self.system, "client", c["source_id"])
            counts.created += 1
            clients.append(
                {
                    "id": target,
                    "first_name": c["first_name"],
                    "last_name": c["last_name"],
                    "birth_date": c["birth_date"],
                    "municipality_id": c["municipality_id"],
                    "phone": c["phone"],
                    "address": c["address"],
                    "email": None,
                    "languages": [c["service_language"]] if c["service_language"] else [],
                    "service_language": c["service_language"],
                    "created_at": self.now,
                    "revision": 1,
                    "field_versions": {},
                }
            )
            identities.append(
                {
                    "client_id": target,
                    "identity_code": code_value,
                    "name_key": c["name_key"],
                    "birth_date": c["birth_date"],
                }
            )
            remembered.append(self.remember("client", c["source_id"], target))
            same = by_key.setdefault((c["name_key"], c["birth_date"]), [])
            for other, other_code in same:
                # Two identity codes tell two people apart; otherwise a person must look.
                if not (code_value and other_code):
                    low, high = sorted((target, other))
                    duplicates.append(
                        {
                            "id": uuid.uuid5(IMPORT_NAMESPACE, f"duplicate:{low}:{high}"),
                            "client_id": low,
                            "other_client_id": high,
                            "reason": "name_and_birth_date",
                            "found_at": self.now,
                            "system": self.system,
                        }
                    )
            same.append((target, code_value))
            if code_value:
                by_code[code_value] = target
                existing[target] = {name: c[name] for name in COMPARED_FIELDS}
        await self.insert(Client, clients)
        await self.insert(ClientIdentity, identities)
        await self.insert(ImportedRecord, remembered)
        await self.insert(PossibleDuplicate, duplicates)
        await self.insert(Conflict, conflicts)
        self.report.possible_duplicates += len(duplicates)
        self.report.conflicts += len(conflicts)
        for row in conflicts:
            record = Conflict(**row)
            self.changes.put(
                "conflict", record.id, conflict_data(record), {ADMIN, user_scope(record.author_id)}
            )

    def differences(self, target: uuid.UUID, kept: dict[str, Any] | None, new: dict[str, Any]) -> list[dict]:
        """Conflicts for each field this system sees differently (both known, not equal)."""
        if kept is None:
            return []
        mutation_id = record_id(self.system, "client-import", new["source_id"])
        rows = []
        for name in COMPARED_FIELDS:
            old, proposed = kept[name], new[name]
            if old is None or proposed is None or old == proposed:
                continue
            rows.append(
                {
                    "id": conflict_id_for(mutation_id, name),
                    "record_type": "client",
                    "record_id": str(target),
                    "field": name,
                    "kept_value": _data(old),
                    "proposed_value": _data(proposed),
                    "base_version": None,
                    "author_id": self.import_user_id,
                    "mutation_id": mutation_id,
                    "created_at": self.now,
                    "status": "open",
                }
            )
        return rows

    # -- contacts -------------------------------------------------------------------------------------

    async def parse_contact(self, row: Row, clients: dict[str, uuid.UUID]) -> dict[str, Any]:
        v = self.vocabulary
        source_id = text(row, "Yhteydenottonumero", required=True, max_length=64)
        client_source = text(row, "Asiakasnumero")
        client_id = None
        if client_source is not None:
            client_id = clients.get(client_source)
            if client_id is None:
                raise RowRefused(t("unknown_client", source_id=client_source, system=self.system))
        day = cell(row, "Päivämäärä", parse_date, required=True)
        at = cell(row, "Kellonaika", parse_time) or NOON
        topics_text = text(row, "Aiheet", required=True)
        topics: list[str] = []
        for label in topics_text.split("|"):  # type: ignore[union-attr]
            if not label.strip():
                continue
            try:
                topic = v.resolve("contact.topics", label.strip())
            except UnknownLabel as error:
                raise RowRefused(t("cell", column="Aiheet", error=error.text)) from None
            if topic not in topics:
                topics.append(topic)
        if not topics:
            raise RowRefused(t("no_topic"))
        return {
            "id": record_id(self.system, "contact", source_id),
            "source_id": source_id,
            "occurred_at": datetime.combine(day, at, tzinfo=FINLAND).astimezone(UTC),
            "month": f"{day:%Y-%m}",
            "channel": code(v, "contact.channel", row, "Kanava"),
            "caller_type": code(v, "contact.caller_type", row, "Yhteydenottaja"),
            "contact_type": code(v, "contact.contact_type", row, "Tyyppi"),
            "topics": topics,
            "resolution": code(v, "contact.resolution", row, "Ratkaisu"),
            "follow_up": False,
            "area_id": code(v, "area", row, "Alue"),
            "service_point_id": code(v, "service_point", row, "Palvelupiste", required=False),
            "client_id": client_id,
            "counsellor_id": await self.recorder(text(row, "Kirjaaja", max_length=120)),
            "note": None,
            "duration_minutes": cell(row, "Kesto", integer(0, 1440)),
            "created_at": self.now,
            "linked_at": None,
            "linked_by": None,
        }

    async def import_contacts(self) -> None:
        required = (
            "Yhteydenottonumero",
            "Päivämäärä",
            "Kanava",
            "Yhteydenottaja",
            "Tyyppi",
            "Aiheet",
            "Ratkaisu",
            "Alue",
        )
        reader = self.open_file(CONTACTS_FILE, CONTACT_COLUMNS, required)
        if reader is None:
            return
        counts = self.report.counts(CONTACTS_FILE)
        seen: set[str] = set()
        for batch in batches(reader):
            clients = await self.imported("client", (r.cells.get("asiakasnumero") or "" for r in batch))
            done = await self.imported("contact", (r.cells.get("yhteydenottonumero") or "" for r in batch))
            contacts, topics, remembered = [], [], []
            for row in batch:
                counts.read += 1
                try:
                    if not row.complete:
                        raise RowRefused(t("cut_short"))
                    contact = await self.parse_contact(row, clients)
                except RowRefused as refusal:
                    self.report.refuse(CONTACTS_FILE, row.line, refusal.text)
                    continue
                source_id = contact.pop("source_id")
                if source_id in seen:
                    self.report.refuse(
                        CONTACTS_FILE,
                        row.line,
                        t("repeated", column="Yhteydenottonumero", source_id=source_id),
                    )
                    continue
                seen.add(source_id)
                if source_id in done:
                    counts.unchanged += 1
                    continue
                counts.created += 1
                contacts.append(contact)
                remembered.append(self.remember("contact", source_id, contact["id"]))
                topics.extend(
                    {
                        "contact_id": contact["id"],
                        "topic": topic,
                        "month": contact["month"],
                        "area_id": contact["area_id"],
                        "service_point_id": contact["service_point_id"],
                        "counsellor_id": contact["counsellor_id"],
                    }
                    for topic in contact["topics"]
                )
            await self.insert(Contact, contacts)
            await self.insert(ContactTopic, topics)
            await self.insert(ImportedRecord, remembered)
            self.progress(len(batch))


def _data(value: Any) -> Any:
    return (
        value.isoformat()
        if isinstance(value, date)
        else str(value)
        if isinstance(value, uuid.UUID)
        else value
    )


async def run_import(
    session: AsyncSession,
    system: str,
    directory: Path,
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    language: Language = "en",
) -> Report:
    """Import `directory` (one system's export) in the session's transaction; the caller commits or not."""
    from server.sbm_import.placements import import_placements

    report = Report(system, directory, dry_run, language)
    if await session.scalar(select(Unit.id).limit(1)) is None:
        await load_units(
            session, ChangeSet()
        )  # the county's units and service points (reference data), as the demo has
    vocabulary = await load_vocabulary(session, system)
    importer = Importer(session, system, directory, vocabulary, report, progress or (lambda rows: None))
    await importer.ensure_import_user()
    await importer.import_clients()
    await importer.import_contacts()
    await import_placements(importer)
    await importer.changes.flush(session)
    return report
