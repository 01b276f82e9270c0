"""What an import remembers: where each row came from, who a client is, and who may be the same person.

- `ImportedRecord` — one source row (system, kind, source id) and the Kaari record it became. A re-run
  finds its rows here and changes nothing; a merge moves a merged client's source ids to the survivor.
- `PossibleDuplicate` — two clients with the same name key and birth date where no identity code tells
  them apart; listed for admins (`GET /api/admin/duplicates`), never merged automatically. The identity
  code itself belongs to the client record (`server.clients.models.ClientIdentity`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class ImportedRecord(Base):
    __tablename__ = "imported_records"

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)


class PossibleDuplicate(Base):
    __tablename__ = "possible_duplicates"
    __table_args__ = (UniqueConstraint("client_id", "other_client_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The lower id first, so a pair is one row whichever side was seen first.
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    other_client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(40))
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    system: Mapped[str | None] = mapped_column(String(16))
