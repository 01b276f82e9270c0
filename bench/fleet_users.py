"""`python -m bench.fleet_users`: a staff user for every unit (the fleet's tablets are spread over them).

Each is `fleet-<unit code>`, `unit_staff` of that unit, password `FLEET_PASSWORD`, made with the CLI's own
`kaari user create`; the data directory and database come from the environment, as for the CLI. Prints
one `username kind` line per user.
"""

from __future__ import annotations

import contextlib
import io

from sqlalchemy import select

from server.cli import _with_session, main
from server.reference.models import Unit
from server.settings import Settings

FLEET_PASSWORD = "fleet-demo-password"
KINDS = ("day_activity", "housing_24h", "short_term_care")


async def _units(session):  # type: ignore[no-untyped-def]
    rows = await session.execute(select(Unit.code, Unit.kind).where(Unit.kind.in_(KINDS)).order_by(Unit.code))
    return [tuple(row) for row in rows]


if __name__ == "__main__":
    for code, kind in _with_session(Settings.from_env(), _units):
        user = ["user", "create", f"fleet-{code}", "--name", f"Fleet {code}"]
        grant = ["--role", f"unit_staff:unit:{code}", "--password", FLEET_PASSWORD]
        with contextlib.redirect_stdout(io.StringIO()):
            main([*user, *grant], standalone_mode=False)
        print(f"fleet-{code} {kind}")
