"""The client record (asiakkuus): the person, the people close to them, service relationships and consents.

- `Client` — identity and contact details, municipality, languages.
- `ClientUnit` — a unit serves the client (a schedule, a residency, a stay): unit staff's basis.
- `ClientArea` — a guidance relationship of an area (a contact, a creation): the area's counsellors' basis.
- `ClientService` — a named service relationship: a responsible counsellor (*vastuutyöntekijä*, a basis
  for that counsellor wherever they work) or a service the client receives (home care, meals, …).
- `ClosePerson` — a relative or other person close to the client (*läheinen*), with relation and contact info.
- `ClientIdentity` — the personal identity code (*henkilötunnus*, optional, unique) and what recognises
  the same person again without one: the normalised name key with the birth date. Its own table, so the
  code never travels with the client record to unit tablets (`server.clients.identity`).
- `ClientMerge` — a client merged into another (`client.merge`): the merged id keeps naming the survivor
  for mutations queued offline and for the access log's history.
- `Consent` — a consent (*suostumus*) for a purpose, given on a date by the client or their representative,
  withdrawn on a date. `cross_service_summary` lets professionals see the client's summary across services
  (the 360 view, `server.clients.timeline`).

Field policies (protocol §6) are declared here, next to the model. `revision` counts the changes of the
record; `field_versions` remembers, per field, the revision at which it last changed and which sync client
changed it (`sync_protocol.policies.FieldChange`; a bare revision in rows written before). For
`client.update` the envelope's `base_version` means the `revision` the author was looking at (it is in the
record's data).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    literal_column,
    text,
)
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
        "email": Policy.LWW,
        "languages": Policy.LWW,
        "service_language": Policy.LWW,
        # Legally significant identity data: a stale change becomes a conflict for a person to decide.
        "birth_date": Policy.MANUAL,
        "municipality_id": Policy.MANUAL,
        "id": Policy.SERVER,
        "revision": Policy.SERVER,
    },
)


SEARCH_NAME_INDEX = "ix_clients_search_name_trgm"
"""PostgreSQL only (migration 0013): a pg_trgm GIN index on `search_name()`, so `ILIKE '%word%'` need not
read every client. SQLite has none: its LIKE cannot use an index for a leading wildcard anyway."""


class Client(Base):
    __tablename__ = "clients"
    # `search_name()` as PostgreSQL writes it back (so the models-equal-migrations test can compare it).
    __table_args__ = (
        Index(
            SEARCH_NAME_INDEX,
            literal_column("(first_name || ' ') || last_name").label("search_name"),
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    # ISO 639-1 codes, mother tongue first; `service_language` is the language the client is served in.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    service_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    field_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))


def search_name() -> ColumnElement[str]:
    """`first_name || ' ' || last_name`, what a client search matches with ILIKE. It must stay the very
    expression `SEARCH_NAME_INDEX` is built on (the planner matches expressions, not meanings), so the
    space is inline SQL, not a bound parameter."""
    return Client.first_name.concat(literal_column("' '")).concat(Client.last_name)


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


CLOSE_PERSON_POLICIES = record_policies(
    "close_person",
    {
        "name": Policy.LWW,
        "relation": Policy.LWW,
        "phone": Policy.LWW,
        "email": Policy.LWW,
        "address": Policy.LWW,
        "primary_contact": Policy.LWW,
        "note": Policy.LWW,
        "id": Policy.SERVER,
        "client_id": Policy.SERVER,
        "removed_at": Policy.SERVER,
    },
)
# What was consented, when and by whom is written once; a withdrawal stays (the earliest one counts).
CONSENT_POLICIES = record_policies(
    "consent",
    {
        "purpose": Policy.APPEND,
        "given_on": Policy.APPEND,
        "given_by": Policy.APPEND,
        "given_by_name": Policy.APPEND,
        "note": Policy.APPEND,
        "withdrawn_on": Policy.MERGE,
        "id": Policy.SERVER,
        "client_id": Policy.SERVER,
        "recorded_by": Policy.SERVER,
        "withdrawn_by": Policy.SERVER,
    },
    merges={"withdrawn_on": lambda a, b: min((v for v in (a, b) if v is not None), default=None)},
)
CLIENT_SERVICE_POLICIES = record_policies(
    "client_service",
    {
        "kind": Policy.SERVER,
        "counsellor_id": Policy.SERVER,
        "service": Policy.SERVER,
        "area_id": Policy.SERVER,
        "since": Policy.SERVER,
        "until": Policy.MERGE,
        "id": Policy.SERVER,
        "client_id": Policy.SERVER,
    },
    merges={"until": lambda a, b: min((v for v in (a, b) if v is not None), default=None)},
)


class ClosePerson(Base):
    __tablename__ = "close_persons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(200))
    primary_contact: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[date]
    given_by: Mapped[str] = mapped_column(String(32))
    given_by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_on: Mapped[date | None]
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ClientService(Base):
    """A named service relationship: `kind` `counsellor` (a responsible counsellor) or `service`."""

    __tablename__ = "client_services"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    counsellor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    service: Mapped[str | None] = mapped_column(String(40))
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"))
    since: Mapped[date]
    until: Mapped[date | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class BreakGlassGrant(Base):
    """Access to a client's record without a basis, for an emergency the author states (break the glass).

    It lasts `BREAK_GLASS_HOURS`, is itself logged (`break_glass:{id}` is the basis of every access it
    allows) and opens a review task for the supervisors of the client's area.
    """

    __tablename__ = "break_glass_grants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ClientIdentity(Base):
    __tablename__ = "client_identities"
    __table_args__ = (Index("ix_client_identities_name_key_birth", "name_key", "birth_date"),)

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    identity_code: Mapped[str | None] = mapped_column(String(11), unique=True)
    name_key: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None]


class ClientMerge(Base):
    __tablename__ = "client_merges"

    # No foreign key: the merged client's row is gone, its id lives on here.
    merged_client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    merged_at: Mapped[datetime]
    merged_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    mutation_id: Mapped[uuid.UUID | None]
    # What moved: {table: rows} and the merged record's fields, for the listing and an audit.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
