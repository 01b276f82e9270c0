"""Queues, short-term stays, 24h residents and day-activity schedules of an export.

These files are small (the county's 29 units), so each is read as a stream but checked against the whole
of what it brings: imported stays, residencies and schedules take places as bookings do, and a unit
found over its capacity on a day of the coming 60 is reported by name and date (not refused, not hidden:
the places were really taken in the old system, and a person must sort it out). What is current is
published to the units' tablets and the coordinators' queues; history stays on the server.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from server.accounts.scopes import unit_scope
from server.clients.models import Client, ClientUnit
from server.clients.sync import client_data
from server.clock import FINLAND
from server.day_activity.models import Schedule
from server.day_activity.mutations import schedule_data
from server.places.capacity import day_places, horizon, refresh_unit
from server.places.models import Residency, Stay
from server.places.mutations import record_scopes, residency_record, stay_data
from server.queue.models import QueueEntry, Referral, queue_entry_id
from server.queue.sync import queue_scopes, referral_data, refresh_queues
from server.reference.models import Unit
from server.sbm_import.csv_reader import Row, parse_date
from server.sbm_import.importer import (
    NOON,
    Importer,
    RowRefused,
    batches,
    cell,
    code,
    integer,
    record_id,
    text,
)
from server.sbm_import.models import ImportedRecord
from server.sbm_import.texts import t

WEEKDAYS = {
    "ma": "mon", "ti": "tue", "ke": "wed", "to": "thu", "pe": "fri", "la": "sat", "su": "sun",
    **{day: day for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}  # fmt: skip

QUEUE_COLUMNS = (
    "Jononumero", "Asiakasnumero", "Palvelu", "Alue", "Saapunut", "Kiireellisyys", "Lähde", "MAPLe", "CPS",
    "ADL-H", "Aluetoive",
)  # fmt: skip
STAY_COLUMNS = ("Jaksonumero", "Asiakasnumero", "Yksikkö", "Alkupäivä", "Loppupäivä")
RESIDENT_COLUMNS = ("Asukasnumero", "Asiakasnumero", "Yksikkö", "Muuttopäivä", "Poismuuttopäivä")
SCHEDULE_COLUMNS = ("Aikataulunumero", "Asiakasnumero", "Yksikkö", "Viikonpäivät", "Alkaen", "Päättyen")


async def import_placements(importer: Importer) -> None:
    units = {unit.id: unit for unit in (await importer.session.scalars(select(Unit))).all()}
    state = _Placements(importer, units)
    await state.run("jonot.csv", "referral", QUEUE_COLUMNS, state.referral)
    await state.run("hoitojaksot.csv", "stay", STAY_COLUMNS, state.stay)
    await state.run("asukkaat.csv", "residency", RESIDENT_COLUMNS, state.residency)
    await state.run("paivatoiminta.csv", "schedule", SCHEDULE_COLUMNS, state.schedule)
    await state.publish()


class _Placements:
    def __init__(self, importer: Importer, units: dict[uuid.UUID, Unit]) -> None:
        self.importer = importer
        self.units = units
        self.new: dict[str, list[Any]] = {"referral": [], "stay": [], "residency": [], "schedule": []}
        self.client_units: dict[tuple[uuid.UUID, uuid.UUID], tuple[date, date | None]] = {}

    async def run(self, name: str, kind: str, columns: tuple[str, ...], parse: Any) -> None:
        importer = self.importer
        reader = importer.open_file(name, columns, columns[:3])
        if reader is None:
            return
        counts = importer.report.counts(name)
        seen: set[str] = set()
        for batch in batches(reader):
            clients = await importer.imported("client", (r.cells.get("asiakasnumero") or "" for r in batch))
            source_column = columns[0].casefold()
            done = await importer.imported(kind, (r.cells.get(source_column) or "" for r in batch))
            rows, remembered = [], []
            for row in batch:
                counts.read += 1
                try:
                    if not row.complete:
                        raise RowRefused(t("cut_short"))
                    source_id = text(row, columns[0], required=True, max_length=64)
                    if source_id in seen:
                        raise RowRefused(t("repeated", column=columns[0], source_id=source_id))
                    client_source = text(row, "Asiakasnumero", required=True)
                    client_id = clients.get(client_source)  # type: ignore[arg-type]
                    if client_id is None:
                        raise RowRefused(t("unknown_client", source_id=client_source, system=importer.system))
                    made = parse(row, record_id(importer.system, kind, source_id), client_id)  # type: ignore[arg-type]
                except RowRefused as refusal:
                    importer.report.refuse(name, row.line, refusal.text)
                    continue
                seen.add(source_id)  # type: ignore[arg-type]
                if source_id in done:
                    counts.unchanged += 1
                    continue
                counts.created += 1
                rows.extend(made)
                remembered.append(importer.remember(kind, source_id, made[0].id))  # type: ignore[arg-type]
            # Parents first (a referral before its queue entry): the models declare no relationships to order by.
            for model in dict.fromkeys(type(made_row) for made_row in rows):
                importer.session.add_all([made_row for made_row in rows if type(made_row) is model])
                await importer.session.flush()
            await importer.insert(ImportedRecord, remembered)
            for made_row in rows:
                self.new.setdefault(type(made_row).__name__.lower(), []).append(made_row)
            importer.progress(len(batch))

    def unit(self, row: Row, kind: str) -> Unit:
        unit_id = code(self.importer.vocabulary, "unit", row, "Yksikkö")
        unit = self.units[unit_id]
        if unit.kind != kind:
            raise RowRefused(t("wrong_unit_kind", unit=unit.labels["fi"], kind=kind))
        return unit

    def serves(self, client_id: uuid.UUID, unit: Unit, since: date, until: date | None) -> None:
        self.importer.touched_units.add(unit.id)
        key = (client_id, unit.id)
        if key in self.client_units:
            old_since, old_until = self.client_units[key]
            since = min(since, old_since)
            until = None if until is None or old_until is None else max(until, old_until)
        self.client_units[key] = (since, until)

    def referral(self, row: Row, new_id: uuid.UUID, client_id: uuid.UUID) -> list[Any]:
        v = self.importer.vocabulary
        received = cell(row, "Saapunut", parse_date, required=True)
        preference = [
            v.resolve("area", label.strip())
            for label in (text(row, "Aluetoive") or "").split("|")
            if label.strip()
        ]
        referral = Referral(
            id=new_id,
            client_id=client_id,
            service_kind=code(v, "referral.service_kind", row, "Palvelu"),
            area_id=code(v, "area", row, "Alue"),
            urgency=code(v, "referral.urgency", row, "Kiireellisyys"),
            received_at=datetime.combine(received, NOON, tzinfo=FINLAND).astimezone(UTC),
            source=code(v, "referral.source", row, "Lähde", required=False) or "other",
            maple=cell(row, "MAPLe", integer(1, 5)),
            cps=cell(row, "CPS", integer(0, 6)),
            adl_h=cell(row, "ADL-H", integer(0, 6)),
            area_preference=[str(area) for area in preference],
            status="open",
            created_at=self.importer.now,
        )
        entry = QueueEntry(
            id=queue_entry_id(new_id),
            referral_id=new_id,
            client_id=client_id,
            service_kind=referral.service_kind,
            area_id=referral.area_id,
            entered_at=received,
            status="waiting",
        )
        return [referral, entry]

    def stay(self, row: Row, new_id: uuid.UUID, client_id: uuid.UUID) -> list[Any]:
        unit = self.unit(row, "short_term_care")
        start = cell(row, "Alkupäivä", parse_date, required=True)
        end = cell(row, "Loppupäivä", parse_date, required=True)
        if end < start:
            raise RowRefused(t("before", end="Loppupäivä", start="Alkupäivä"))
        self.serves(client_id, unit, start, end)
        return [
            Stay(
                id=new_id,
                client_id=client_id,
                unit_id=unit.id,
                start_date=start,
                end_date=end,
                status="booked",
            )
        ]

    def residency(self, row: Row, new_id: uuid.UUID, client_id: uuid.UUID) -> list[Any]:
        unit = self.unit(row, "housing_24h")
        move_in = cell(row, "Muuttopäivä", parse_date, required=True)
        move_out = cell(row, "Poismuuttopäivä", parse_date)
        if move_out is not None and move_out < move_in:
            raise RowRefused(t("before", end="Poismuuttopäivä", start="Muuttopäivä"))
        self.serves(client_id, unit, move_in, move_out)
        return [
            Residency(id=new_id, client_id=client_id, unit_id=unit.id, move_in=move_in, move_out=move_out)
        ]

    def schedule(self, row: Row, new_id: uuid.UUID, client_id: uuid.UUID) -> list[Any]:
        unit = self.unit(row, "day_activity")
        days = []
        for label in (text(row, "Viikonpäivät", required=True) or "").replace(",", "|").split("|"):
            day = WEEKDAYS.get(label.strip().casefold())
            if day is None:
                raise RowRefused(t("not_a_weekday", label=label.strip()))
            if day not in (unit.opening_days or []):
                raise RowRefused(t("closed_on", unit=unit.labels["fi"], label=label.strip()))
            if day not in days:
                days.append(day)
        since = cell(row, "Alkaen", parse_date, required=True)
        until = cell(row, "Päättyen", parse_date)
        if until is not None and until < since:
            raise RowRefused(t("before", end="Päättyen", start="Alkaen"))
        self.serves(client_id, unit, since, until)
        return [
            Schedule(
                id=new_id,
                client_id=client_id,
                unit_id=unit.id,
                weekdays=days,
                valid_from=since,
                valid_until=until,
            )
        ]

    async def publish(self) -> None:
        """Service relationships, the current records on the units' tablets, free places, overbookings."""
        importer, session, today = self.importer, self.importer.session, self.importer.today
        if self.client_units:
            existing = {
                (link.client_id, link.unit_id): link
                for link in (
                    await session.scalars(
                        select(ClientUnit).where(ClientUnit.client_id.in_({c for c, _ in self.client_units}))
                    )
                ).all()
            }
            for (client_id, unit_id), (since, until) in self.client_units.items():
                link = existing.get((client_id, unit_id))
                if link is None:
                    session.add(ClientUnit(client_id=client_id, unit_id=unit_id, since=since, until=until))
                else:
                    link.since = min(link.since, since)
                    link.until = None if until is None or link.until is None else max(until, link.until)
            await session.flush()
        put = importer.changes.put
        current: dict[uuid.UUID, set[str]] = {}
        for stay in self.new.get("stay", []):
            if stay.end_date >= today:
                put("stay", stay.id, stay_data(stay), record_scopes(stay.unit_id))
                current.setdefault(stay.client_id, set()).add(unit_scope(stay.unit_id))
        for residency in self.new.get("residency", []):
            if residency.move_out is None or residency.move_out >= today:
                put(
                    "residency",
                    residency.id,
                    residency_record(residency, []),
                    record_scopes(residency.unit_id),
                )
                current.setdefault(residency.client_id, set()).add(unit_scope(residency.unit_id))
        for schedule in self.new.get("schedule", []):
            if schedule.valid_until is None or schedule.valid_until >= today:
                put("schedule", schedule.id, schedule_data(schedule), [unit_scope(schedule.unit_id)])
                current.setdefault(schedule.client_id, set()).add(unit_scope(schedule.unit_id))
        for referral in self.new.get("referral", []):
            put("referral", referral.id, referral_data(referral), queue_scopes(referral.area_id))
        if current:
            for client in (await session.scalars(select(Client).where(Client.id.in_(current)))).all():
                put("client", client.id, client_data(client), current[client.id])
        if self.new.get("referral"):
            await refresh_queues(session, importer.changes, today)
        for unit_id in sorted(importer.touched_units):
            unit = self.units[unit_id]
            unit_state = await refresh_unit(session, importer.changes, unit, today)
            for day, places in day_places(unit_state, horizon(today)).items():
                if places.free < 0:
                    importer.report.overbookings.append(
                        t(
                            "overbooked",
                            unit=unit.labels["fi"],
                            day=f"{day.day}.{day.month}.{day.year}",
                            occupied=places.occupied,
                            capacity=places.capacity,
                        )
                    )
