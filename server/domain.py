"""What a domain declares: one `Domain` in its folder's `domain.py`, collected by `server.domains`.

A domain's declaration names everything the app needs from it, so adding a domain means writing its folder
and adding it to the one list in `server.domains`:

- `models`: the modules whose tables it owns (Alembic and the metadata see them);
- `mutations`: the modules whose `@mutation` handlers join the catalog;
- `routes`: its controllers and route handlers;
- `jobs`: the modules whose `@job` bodies join the job registry;
- `uses`: the other domains it imports, checked by the import contract (`make test` runs it): an import of
  a domain not named here breaks the build;
- hooks into shared machinery, each a plain value the composition root installs: `snapshot_reports` (the
  nightly statistics snapshots), `change_observers` (told of every record change before commit),
  `place_takers` (what else takes a place in a unit), `timeline` (its part of the client 360 view),
  `client_bases` (who has a basis on a client), `client_of` (the client of its rows, by kind),
  `client_aliases` (the survivor of a merged client id), `listeners` (signal → listener, `server.signals`).

`kind` is `platform` for the layers every domain may build on (reference data, accounts, the access log,
jobs, sync, statistics, tasks, conflicts, devices) and `domain` for the rest; the contract lets a domain use
any platform package but forbids the platform to import a domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal


@dataclass(frozen=True)
class Domain:
    name: str
    summary: str
    kind: Literal["platform", "domain"] = "domain"
    uses: tuple[str, ...] = ()
    models: Sequence[ModuleType] = ()
    mutations: Sequence[ModuleType] = ()
    routes: Sequence[Any] = ()
    jobs: Sequence[ModuleType] = ()
    snapshot_reports: Sequence[Any] = ()
    change_observers: Sequence[Any] = ()
    place_takers: Sequence[Any] = ()
    timeline: Sequence[Any] = ()
    client_bases: Sequence[Any] = ()
    client_aliases: Sequence[Any] = ()
    client_of: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    listeners: Mapping[type, Callable[..., Any]] = field(default_factory=dict)

    @property
    def package(self) -> str:
        return f"server.{self.name}" if self.name != "notifications" else "notifications"
