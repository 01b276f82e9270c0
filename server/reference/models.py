"""Reference records. Their content comes from the JSON files in `data/`, never from code.

Ids are UUIDv5 of `"{kind}:{code}"`, so every installation, the demo and the tests agree on them.
Labels are `{"fi", "sv", "en"}`; the UI speaks Finnish by default.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

KAARI_NAMESPACE = uuid.UUID("6f1c1f0e-3c57-5d2a-9a39-0d0f6a1b7a11")

UnitKind = Literal["day_activity", "housing_24h", "short_term_care"]
UNIT_KINDS: tuple[str, ...] = ("day_activity", "housing_24h", "short_term_care")


REF = "ref"
"""The scope every principal holds: reference data that every device syncs."""


def reference_id(kind: str, code: str) -> uuid.UUID:
    return uuid.uuid5(KAARI_NAMESPACE, f"{kind}:{code}")


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"), index=True)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"), index=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    address: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    # Day activity only: places per weekday ("mon".."sun") and the days it is open.
    weekday_capacity: Mapped[dict[str, int] | None] = mapped_column(JSON)
    opening_days: Mapped[list[str] | None] = mapped_column(JSON)


class ServicePoint(Base):
    __tablename__ = "service_points"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"), index=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    address: Mapped[str] = mapped_column(String(200))


class CodeList(Base):
    """A versioned list of codes, e.g. `contact.channel`; a mutation carrying an inactive code is rejected."""

    __tablename__ = "code_lists"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    codes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    def active_codes(self) -> set[str]:
        return {entry["code"] for entry in self.codes if entry.get("active", True)}
