"""Load the reference JSON files into the database, idempotently (insert new, update changed).

`load_region()` loads what is real and the same everywhere (areas, municipalities, code lists) and runs
with `kaari db upgrade`. `load_units()` loads units and service points; the demo loads the shipped ones,
an installation its own file.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.reference.models import Area, CodeList, Municipality, ServicePoint, Unit, reference_id


def read_data(name: str, directory: Path | None = None) -> list[dict[str, Any]]:
    if directory is not None:
        return json.loads((directory / name).read_text(encoding="utf-8"))
    return json.loads(resources.files("server.reference").joinpath("data", name).read_text(encoding="utf-8"))


async def load_region(session: AsyncSession, directory: Path | None = None) -> None:
    for row in read_data("areas.json", directory):
        await session.merge(
            Area(id=reference_id("area", row["code"]), code=row["code"], labels=row["labels"])
        )
    await session.flush()
    for row in read_data("municipalities.json", directory):
        await session.merge(
            Municipality(
                id=reference_id("municipality", row["code"]),
                code=row["code"],
                labels=row["labels"],
                area_id=reference_id("area", row["area"]),
            )
        )
    for row in read_data("code_lists.json", directory):
        await session.merge(
            CodeList(id=row["id"], version=row["version"], labels=row["labels"], codes=row["codes"])
        )
    await session.flush()


async def load_units(session: AsyncSession, directory: Path | None = None) -> None:
    for row in read_data("units.json", directory):
        await session.merge(
            Unit(
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
        )
    for row in read_data("service_points.json", directory):
        await session.merge(
            ServicePoint(
                id=reference_id("service_point", row["code"]),
                code=row["code"],
                labels=row["labels"],
                area_id=reference_id("area", row["area"]),
                municipality_id=reference_id("municipality", row["municipality"]),
                address=row["address"],
            )
        )
    await session.flush()
