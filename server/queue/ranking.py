"""The queue order, computed by the server (pure: no I/O, no clock — `today` is given).

A queue is the active entries (`waiting`, `offered`) of one (service_kind, area_id). They are ordered by:

1. **urgency** — `urgent` before everything else;
2. **MAPLe** (Method for Assigning Priority Levels, RAI, 1-5) — higher first; no assessment sorts last;
3. **days waiting** — since the referral was received (`entered_at`), longer first;
4. **area preference** — the queue's area is among the client's preferred areas (or the client states no
   preference) before a client who prefers other areas;
5. then the exact time received and the entry id, so the order is total and the same on every run.

Each entry gets its `rank` (1 = first) and `reasons`: human-readable, in that order, e.g.
`["urgent", "MAPLe 5", "waiting 34 days", "prefers this area"]`. Both are `server` fields of `queue_entry`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: uuid.UUID
    urgent: bool
    maple: int | None
    entered_at: date
    area_preference: tuple[str, ...] = ()
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    entry_id: uuid.UUID
    rank: int
    days_waiting: int
    reasons: list[str]


def days_waiting(entered_at: date, today: date) -> int:
    return max((today - entered_at).days, 0)


def prefers(candidate: Candidate, area_id: uuid.UUID | str) -> bool:
    """No stated preference counts as a match: the client has not said they would rather be elsewhere."""
    return not candidate.area_preference or str(area_id) in candidate.area_preference


def sort_key(candidate: Candidate, today: date, area_id: uuid.UUID | str) -> tuple:
    return (
        0 if candidate.urgent else 1,
        -(candidate.maple or 0),
        -days_waiting(candidate.entered_at, today),
        0 if prefers(candidate, area_id) else 1,
        candidate.received_at.isoformat() if candidate.received_at else "",
        str(candidate.entry_id),
    )


def reasons(candidate: Candidate, today: date, area_id: uuid.UUID | str) -> list[str]:
    found = ["urgent"] if candidate.urgent else []
    if candidate.maple is not None:
        found.append(f"MAPLe {candidate.maple}")
    waited = days_waiting(candidate.entered_at, today)
    found.append(f"waiting {waited} day" + ("" if waited == 1 else "s"))
    if candidate.area_preference:
        found.append("prefers this area" if prefers(candidate, area_id) else "prefers another area")
    return found


def rank(candidates: Iterable[Candidate], today: date, area_id: uuid.UUID | str) -> list[Ranked]:
    """The candidates of one queue (area `area_id`) in order, each with its rank and reasons."""
    ordered = sorted(candidates, key=lambda c: sort_key(c, today, area_id))
    return [
        Ranked(c.entry_id, n, days_waiting(c.entered_at, today), reasons(c, today, area_id))
        for n, c in enumerate(ordered, start=1)
    ]
