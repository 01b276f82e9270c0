"""Import every domain's mutations so the catalog is complete before the app serves."""

from __future__ import annotations


def import_all_domains() -> None:
    import notifications.mutations  # noqa: F401
    import server.access_log.mutations
    import server.applications.mutations
    import server.assessments.mutations
    import server.attendance.mutations
    import server.clients.mutations
    import server.clients.record_mutations
    import server.conflicts.mutations
    import server.contacts.mutations
    import server.day_activity.mutations
    import server.events.mutations
    import server.places.mutations
    import server.queue.mutations
    import server.tasks.mutations  # noqa: F401
