"""The composition root: the one list of domains, and what the app takes from their declarations.

`load()` imports every declaration (and with it every model, mutation and job module) and installs the
domains' hooks into the shared machinery: snapshot reports, change observers, place takers and signal
listeners. Every process calls it before it serves or works: the app factory, the job worker, the CLI,
Alembic and the tests. Adding a domain is its folder (with a `domain.py`) and one line in `DOMAIN_MODULES`.
"""

from __future__ import annotations

import functools
import importlib

from server.domain import Domain

# Platform first, then the domains; the order is the import contract's layering, lowest first.
DOMAIN_MODULES = (
    "server.reference.domain",
    "server.accounts.domain",
    "server.access_log.domain",
    "server.jobs.domain",
    "server.sync.domain",
    "server.statistics.domain",
    "server.tasks.domain",
    "server.conflicts.domain",
    "server.devices.domain",
    "server.clients.domain",
    "server.places.domain",
    "server.day_activity.domain",
    "server.queue.domain",
    "server.events.domain",
    "server.contacts.domain",
    "server.assessments.domain",
    "server.applications.domain",
    "server.sbm_import.domain",
    "notifications.domain",
)


@functools.cache
def load() -> tuple[Domain, ...]:
    """Every domain's declaration, with its hooks installed (once per process)."""
    from server import signals
    from server.clients import timeline
    from server.places import capacity
    from server.statistics import snapshots
    from server.sync import authorisation, changes

    domains = tuple(importlib.import_module(name).DOMAIN for name in DOMAIN_MODULES)
    for domain in domains:
        for report in domain.snapshot_reports:
            snapshots.register(report)
        for observer in domain.change_observers:
            changes.observe(observer)
        for source in domain.place_takers:
            capacity.declare(source)
        for source in domain.timeline:
            timeline.declare(source)
        for resolver in domain.client_bases:
            authorisation.declare_bases(resolver)
        for resolver in domain.client_aliases:
            authorisation.declare_aliases(resolver)
        for kind, resolver in domain.client_of.items():
            authorisation.declare_client_of(kind, resolver)
        for kind, listener in domain.listeners.items():
            signals.subscribe(kind, listener)
    return domains


def routes() -> list:
    """Every domain's routes, in the order of `DOMAIN_MODULES`."""
    return [route for domain in load() for route in domain.routes]
