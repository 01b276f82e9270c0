"""The PWA's build id: the same sources give the same id (no needless update on every deploy), and a change to
the service worker alone gives a new one (so a fixed worker reaches the tablets)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa_shell"


def build(root: Path) -> str:
    subprocess.run(["node", "build.mjs"], cwd=root, check=True, capture_output=True, timeout=120)
    build_id = json.loads((root / "dist" / "build.json").read_text())["build"]
    assert build_id in (root / "dist" / "sw.js").read_text()
    return build_id


def test_build_id_follows_the_sources_and_the_service_worker(tmp_path: Path) -> None:
    copy = tmp_path / "pwa_shell"
    shutil.copytree(PWA, copy, ignore=shutil.ignore_patterns("node_modules", "dist"))
    (copy / "node_modules").symlink_to(PWA / "node_modules")
    first = build(copy)
    assert build(copy) == first

    worker = copy / "src" / "sw.js"
    worker.write_text(worker.read_text() + "\nself.kaariProbe = 1;\n")
    assert build(copy) != first
