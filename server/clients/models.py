"""The client record and the service relationships that give staff a basis to see it.

Field policies (protocol §6) are declared here, next to the model. `revision` counts the changes of the
record; `field_versions` remembers, per field, the revision at which it last changed. For `client.update`
the envelope's `base_version` means the `revision` the author was looking at (it is in the record's data).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, utcnow
from sync_protocol.policies import Policy, record_policies

POLICIES = record_policies(
    "client",
    {
        "first_name": Policy.LWW,
        "last_name": Policy.LWW,
        "phone": Policy.LWW,
        "address": Policy.LWW,
        # Legally significant identity data: a stale change becomes a conflict for a person to decide.
        "birth_date": Policy.MANUAL,
        "municipality_id": Policy.MANUAL,
        "id": Policy.SERVER,
        "revision": Policy.SERVER,
    },
)


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    field_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))


class ClientUnit(Base):
    """A service relationship: the client is served by the unit (a schedule, a residency, a stay)."""

    __tablename__ = "client_units"
    __table_args__ = (UniqueConstraint("client_id", "unit_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id"), index=True)
    since: Mapped[date]
    until: Mapped[date | None]


class ClientArea(Base):
    """A guidance relationship: counsellors of the area work with the client (a contact, a creation).

    The client record is published into `area:{area_id}` for as long as the row exists.
    """

    __tablename__ = "client_areas"

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)
