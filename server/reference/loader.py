"""Load the reference JSON files into the database, idempotently (insert new, update changed).

`load_region()` loads what is real and the same everywhere (areas, municipalities, code lists) and runs
with `kaari db upgrade`. `load_units()` loads units and service points; the demo loads the shipped ones,
an installation its own file. Both publish the records to the `ref` scope, so every device gets them;
a record whose content did not change is not published again.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.reference.models import REF, Area, CodeList, Municipality, ServicePoint, Unit, reference_id

if TYPE_CHECKING:  # the caller's change set: the sync engine sits above reference data
    from server.sync.changes import ChangeSet

FIELDS = {
    "area": ("code", "labels"),
    "municipality": ("code", "labels", "area_id"),
    "code_list": ("version", "labels", "codes"),
    "unit": (
        "code",
        "labels",
        "kind",
        "area_id",
        "municipality_id",
        "address",
        "capacity",
        "weekday_capacity",
        "opening_days",
    ),
    "service_point": ("code", "labels", "area_id", "municipality_id", "address"),
}


def read_data(name: str, directory: Path | None = None) -> list[dict[str, Any]]:
    if directory is not None:
        return json.loads((directory / name).read_text(encoding="utf-8"))
    return json.loads(resources.files("server.reference").joinpath("data", name).read_text(encoding="utf-8"))


async def _store(session: AsyncSession, changes: ChangeSet, record_type: str, row: Any) -> None:
    row = await session.merge(row)
    changes.put(
        record_type, row.id, {name: getattr(row, name) for name in ("id", *FIELDS[record_type])}, [REF]
    )


async def load_region(session: AsyncSession, changes: ChangeSet, directory: Path | None = None) -> None:
    for row in read_data("areas.json", directory):
        await _store(
            session,
            changes,
            "area",
            Area(id=reference_id("area", row["code"]), code=row["code"], labels=row["labels"]),
        )
    await session.flush()
    for row in read_data("municipalities.json", directory):
        municipality = Municipality(
            id=reference_id("municipality", row["code"]),
            code=row["code"],
            labels=row["labels"],
            area_id=reference_id("area", row["area"]),
        )
        await _store(session, changes, "municipality", municipality)
    for row in read_data("code_lists.json", directory):
        code_list = CodeList(id=row["id"], version=row["version"], labels=row["labels"], codes=row["codes"])
        await _store(session, changes, "code_list", code_list)
    await session.flush()
    await changes.flush(session)


async def load_units(session: AsyncSession, changes: ChangeSet, directory: Path | None = None) -> None:
    for row in read_data("units.json", directory):
        unit = Unit(
            id=reference_id("unit", row["code"]),
            code=row["code"],
            labels=row["labels"],
            kind=row["kind"],
            area_id=reference_id("area", row["area"]),
            municipality_id=reference_id("municipality", row["municipality"]),
            address=row["address"],
            capacity=row["capacity"],
            weekday_capacity=row.get("weekday_capacity"),
            opening_days=row.get("opening_days"),
        )
        await _store(session, changes, "unit", unit)
    for row in read_data("service_points.json", directory):
        service_point = ServicePoint(
            id=reference_id("service_point", row["code"]),
            code=row["code"],
            labels=row["labels"],
            area_id=reference_id("area", row["area"]),
            municipality_id=reference_id("municipality", row["municipality"]),
            address=row["address"],
        )
        await _store(session, changes, "service_point", service_point)
    await session.flush()
    await changes.flush(session)
