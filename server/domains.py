"""Import every domain's mutations so the catalog is complete before the app serves."""

from __future__ import annotations


def import_all_domains() -> None:
    import server.attendance.mutations  # noqa: F401
