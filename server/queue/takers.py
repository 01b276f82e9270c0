"""How open place offers hold places (declared to `server.places.capacity`): an offer holds its place from
its start to its end date until it is accepted (the hold becomes the stay or residency), declined or
expired. A hold counts against free places but is nobody's occupancy in the reports.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.places.capacity import Occupant, Taker
from server.queue.models import Offer


class OfferHolds:
    holds = True

    async def of_unit(self, session: AsyncSession, unit_id: uuid.UUID) -> list[Taker]:
        rows = await session.execute(
            select(Offer.start_date, Offer.end_date).where(Offer.unit_id == unit_id, Offer.status == "open")
        )
        return [Taker(start, end) for start, end in rows]

    async def occupants(self, session: AsyncSession, first: date, last: date) -> list[Occupant]:
        return []

    async def served(
        self, session: AsyncSession, start: date, end: date
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        return []


OFFERS = OfferHolds()
