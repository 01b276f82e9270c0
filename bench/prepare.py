"""`python -m bench.prepare`: `kaari db upgrade` then `kaari seed demo`, in one process (one import).

The data directory comes from KAARI_DATA_DIR like the CLI's; the commands are the CLI's own.
"""

from __future__ import annotations

from server.cli import main

if __name__ == "__main__":
    main(["db", "upgrade"], standalone_mode=False)
    main(["seed", "demo"], standalone_mode=False)
