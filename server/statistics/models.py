"""Snapshots of the monthly statistics of closed months (`server.statistics.snapshots`).

`StatisticsSnapshot` — one report (`guidance.contacts`, `guidance.first_contact`, `guidance.events`,
`places.occupancy`) for one month ("YYYY-MM"): its protected rows as the live computation gives them
(`rows`, JSON), the reference data they were computed against (`basis`, a hash) and the `generation` they
were computed at (`computed_generation`). `generation` is raised by every late change to the month
(`server.statistics.marks`, in the writing transaction), so a snapshot is current exactly while the two
are equal; a row may exist with only a raised generation (a late change before the first snapshot).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class StatisticsSnapshot(Base):
    __tablename__ = "statistics_snapshots"

    report: Mapped[str] = mapped_column(String(40), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    computed_generation: Mapped[int | None] = mapped_column(BigInteger)
    basis: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[list[Any] | None] = mapped_column(JSON)
    computed_at: Mapped[datetime | None]
    marked_at: Mapped[datetime | None]
