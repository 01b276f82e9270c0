"""The queue order (pure): urgent first, then MAPLe, then days waiting, then area preference."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from server.queue.ranking import Candidate, rank

TODAY = date(2026, 11, 22)
AREA = uuid.uuid4()
OTHER = uuid.uuid4()


def cand(n: int, *, urgent=False, maple=None, waited=0, prefs=()) -> Candidate:
    return Candidate(
        uuid.UUID(int=n), urgent, maple, TODAY - timedelta(days=waited), tuple(str(p) for p in prefs)
    )


def order(cands):
    return [r.entry_id.int for r in rank(cands, TODAY, AREA)]


def test_urgent_beats_maple_beats_waiting_beats_preference():
    cands = [
        cand(1, maple=5, waited=100),
        cand(2, urgent=True, maple=1, waited=0),
        cand(3, maple=5, waited=200),
        cand(4, maple=3, waited=400),
        cand(5, maple=5, waited=200, prefs=[OTHER]),
        cand(6, waited=999),
    ]
    assert order(cands) == [2, 3, 5, 1, 4, 6]


def test_area_preference_breaks_ties_and_no_preference_counts_as_match():
    cands = [cand(1, maple=4, waited=10, prefs=[OTHER]), cand(2, maple=4, waited=10, prefs=[AREA, OTHER])]
    assert order(cands) == [2, 1]
    assert order([cand(1, waited=3, prefs=[OTHER]), cand(2, waited=3)]) == [2, 1]


def test_ranks_and_reasons():
    ranked = rank([cand(1, urgent=True, maple=5, waited=34, prefs=[AREA]), cand(2, waited=1)], TODAY, AREA)
    assert [r.rank for r in ranked] == [1, 2]
    assert ranked[0].reasons == ["urgent", "MAPLe 5", "waiting 34 days", "prefers this area"]
    assert ranked[0].days_waiting == 34
    assert ranked[1].reasons == ["waiting 1 day"]


def test_order_is_total_and_stable():
    cands = [cand(n, maple=2, waited=5) for n in (9, 3, 7)]
    assert order(cands) == order(list(reversed(cands))) == [3, 7, 9]
    assert rank([], TODAY, AREA) == []
