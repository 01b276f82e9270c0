"""Which closed months a record change marks (`server.statistics.marks.affected`): pure, no database."""

from __future__ import annotations

from datetime import date

from server.statistics.marks import affected, window

MONTHS = window(date(2026, 11, 30))  # 2024-11 .. 2026-10
OCC = "places.occupancy"


def residency(move_out=None, absences=(), unit="u"):
    return {
        "move_in": "2020-01-01",
        "move_out": move_out,
        "unit_id": unit,
        "client_id": "c",
        "absences": [{"id": i, "start_date": s, "end_date": e} for i, s, e in absences],
    }


def test_the_months_a_change_moves():
    assert (MONTHS[0], MONTHS[-1], len(MONTHS)) == ("2024-11", "2026-10", 24)
    # A contact recorded late for October; one for this month marks nothing.
    assert affected("contact", None, {"month": "2026-10"}, MONTHS) == {
        ("guidance.contacts", "2026-10"),
        ("guidance.first_contact", "2026-10"),
    }
    assert affected("event", None, {"month": "2026-11"}, MONTHS) == set()
    # A move-out recorded late marks the months from it on, not the resident's years before it.
    assert affected("residency", residency(), residency("2026-09-15"), MONTHS) == {
        (OCC, "2026-09"),
        (OCC, "2026-10"),
    }
    # An absence added this month marks nothing; one in August marks August.
    assert (
        affected("residency", residency(), residency(absences=[("a", "2026-11-02", "2026-11-05")]), MONTHS)
        == set()
    )
    assert affected(
        "residency", residency(), residency(absences=[("a", "2026-08-30", "2026-09-02")]), MONTHS
    ) == {
        (OCC, "2026-08"),
        (OCC, "2026-09"),
    }
    # Moved to another unit: all of it, within the window.
    assert len(affected("residency", residency(), residency(unit="v"), MONTHS)) == 24
    stay = {
        "start_date": "2026-10-30",
        "end_date": "2026-11-03",
        "status": "booked",
        "unit_id": "u",
        "client_id": "c",
    }
    assert affected("stay", stay, {**stay, "status": "cancelled"}, MONTHS) == {(OCC, "2026-10")}
    assert affected("stay", stay, {**stay, "end_date": "2026-11-04"}, MONTHS) == set()
    # Attendance: only an absence matters to occupancy.
    day = {"date": "2026-10-12", "absent_reason": None, "checked_in_at": "x"}
    assert affected("attendance", day, {**day, "checked_in_at": "y"}, MONTHS) == set()
    assert affected("attendance", day, {**day, "absent_reason": "sick"}, MONTHS) == {(OCC, "2026-10")}
