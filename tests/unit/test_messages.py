"""The PWA's texts: every message key in Finnish, Swedish and English, with the same placeholders, and every
key the sources name defined (pwa_shell/tools/check-messages.mjs does the checking in Node, where the
message modules are plain ES modules)."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "pwa_shell" / "tools" / "check-messages.mjs"


def test_every_message_exists_in_finnish_swedish_and_english() -> None:
    done = subprocess.run(["node", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"message problems:\n{done.stdout}{done.stderr}"
