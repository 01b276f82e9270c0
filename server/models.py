"""Import every domain's models so that the metadata (and Alembic) sees every table."""

from __future__ import annotations


def import_all_models() -> None:
    import notifications.models  # noqa: F401
    import server.access_log.models
    import server.accounts.models
    import server.applications.models
    import server.assessments.models
    import server.attendance.models
    import server.clients.models
    import server.conflicts.models
    import server.contacts.models
    import server.day_activity.models
    import server.devices.models
    import server.events.models
    import server.jobs.models
    import server.places.models
    import server.queue.models
    import server.reference.models
    import server.statistics.models
    import server.sync.models
    import server.tasks.models  # noqa: F401
