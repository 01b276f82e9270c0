"""Kaari beside a peer doing the same job: CouchDB-protocol replication of the same contact documents.

The peer: npm `pouchdb-server` (LevelDB on disk) and the PouchDB client (`pouchdb-node`), installed by npm
into a scratch folder outside the repository (kept between runs, pinned versions) and run on loopback. A
PouchDB client replicates `DOCS` contact-like documents to the server and a fresh one replicates them back,
in batches of 100 (`bench/peer.js`; the local inserts before are not timed).

Kaari: the reference client queues the same number of `contact.record` (anonymous contacts of area Oulu,
the counsellor `ohjaaja`) and pushes them in batches of 100 (queueing not timed); then a fresh device of
the same counsellor does its first sync (every record of its scopes: the demo's records of the area and the
new contacts). Push figure: documents / time; pull figure: records received / time.

The two run alternately, `ROUNDS` times each, on a fresh data directory and a fresh peer database each
round, and every round's figures are printed with their ratios.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

import sync_protocol.client.client as replica_module
from bench.server import REPO, ServerProcess, Workspace, free_port
from bench.wire import http_client, tablet
from bench.workloads import contact_record, read_facts

DOCS = 3000
BATCH = 100
ROUNDS = 2
PACKAGES = ["pouchdb-server@4.2.0", "pouchdb-node@9.0.0"]
NPM_DIR = Path(tempfile.gettempdir()) / "kaari-bench-peer-npm"
TIMEOUT_S = 300  # per peer round: a stuck replication fails the bench instead of hanging it


def install() -> Path:
    """`npm install` the peer into NPM_DIR once (a scratch folder: never the repository)."""
    marker = NPM_DIR / ".installed"
    if marker.exists() and marker.read_text() == " ".join(PACKAGES):
        return NPM_DIR
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    (NPM_DIR / "package.json").write_text('{"name": "kaari-bench-peer", "private": true}\n')
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES],
        cwd=NPM_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    marker.write_text(" ".join(PACKAGES))
    return NPM_DIR


class PouchServer:
    def __init__(self, npm: Path, data: Path) -> None:
        self.npm, self.data, self.port = npm, data, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PouchServer:
        self.data.mkdir(parents=True, exist_ok=True)
        binary = self.npm / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"
        self.proc = subprocess.Popen(
            [
                "node",
                str(binary),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.data),
                "--no-stdout-logs",
                "--config",
                str(self.data / "config.json"),
            ],
            cwd=self.data,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url, timeout=1.0).status_code == 200:
                    return self
            except (OSError, httpx.HTTPError):
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("pouchdb-server did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def peer_round(npm: Path, server: PouchServer, scratch: Path, name: str, docs: int) -> dict[str, Any]:
    scratch.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        ["node", str(REPO / "bench" / "peer.js"), server.url, name, str(docs), str(BATCH)],
        cwd=scratch,
        env={**os.environ, "NODE_PATH": str(npm / "node_modules")},
        check=True,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["count"] != docs:
        raise RuntimeError(f"the peer's fresh copy has {result['count']} of {docs} documents")
    return {"push_per_s": docs / result["push_s"], "pull_per_s": docs / result["pull_s"], **result}


async def _kaari(base_url: str, args: list[dict[str, Any]]) -> dict[str, Any]:
    async with http_client(base_url) as http:
        device = await tablet(http, "ohjaaja")
        for a in args:
            await device.mutate("contact.record", a)
        start = time.perf_counter()
        report = await device.push()
        push_s = time.perf_counter() - start
        if report.applied != len(args):
            raise RuntimeError(f"contact.record push not fully applied: {report}")
        fresh = await tablet(http, "ohjaaja")
        start = time.perf_counter()
        pulled = await fresh.pull()
        pull_s = time.perf_counter() - start
    return {
        "push_s": push_s,
        "pull_s": pull_s,
        "pushed": report.applied,
        "pulled": pulled.ops,
        "push_per_s": report.applied / push_s,
        "pull_per_s": pulled.ops / pull_s,
    }


def kaari_round(ws: Workspace, name: str, docs: int) -> dict[str, Any]:
    data_dir = ws.fresh_data_dir(name)
    args = contact_record(read_facts(data_dir / "kaari.sqlite3"), docs)
    for a in args:
        a.pop("client_id", None)  # the peer's documents are anonymous contacts too
    try:
        with ServerProcess(data_dir, env={"KAARI_RUN_JOBS": "0"}) as server:
            return asyncio.run(_kaari(server.base_url, args))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    docs = 300 if quick else DOCS
    npm = install()
    # Batches of 100 on Kaari's side too (the reference client would send up to 500 at once).
    replica_module.MAX_PUSH_MUTATIONS = BATCH
    rounds = []
    with PouchServer(npm, ws.root / "pouchdb") as server:
        for n in range(ROUNDS):
            peer = peer_round(npm, server, ws.root / f"pouch-client-{n}", f"contacts{n}", docs)
            kaari = kaari_round(ws, f"peer-kaari-{n}", docs)
            rounds.append({"peer": peer, "kaari": kaari})
    rows = []
    for n, r in enumerate(rounds, 1):
        push_ratio = r["kaari"]["push_per_s"] / r["peer"]["push_per_s"]
        pull_ratio = r["kaari"]["pull_per_s"] / r["peer"]["pull_per_s"]
        rows += [
            (
                "peer",
                f"round {n}: push docs/s, {docs} contact.record, batches of {BATCH}",
                f"{r['kaari']['push_per_s']:,.0f}",
                f"pouchdb-server {r['peer']['push_per_s']:,.0f} docs/s",
                f"{push_ratio:.2f}x",
                ">= 1.5x",
                push_ratio >= 1.5,
            ),
            (
                "peer",
                f"round {n}: pull records/s, first sync ({r['kaari']['pulled']} records)",
                f"{r['kaari']['pull_per_s']:,.0f}",
                f"pouchdb-server {r['peer']['pull_per_s']:,.0f} docs/s ({docs} docs)",
                f"{pull_ratio:.2f}x",
                ">= 5x",
                pull_ratio >= 5,
            ),
        ]
    return {
        "name": "peer",
        "params": {"docs": docs, "batch": BATCH, "rounds": ROUNDS, "packages": PACKAGES},
        "rounds": rounds,
        "rows": rows,
    }
