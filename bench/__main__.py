"""`python -m bench [NAME ...] [--quick]`: run benchmarks, print one table, write bench/results/*.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import empty_pull, first_sync, fleet, guidance_stats, import_sbm, notify, peer, push, server
from bench.server import Workspace

BENCHMARKS = {
    "push": push.run,
    "pull": empty_pull.run,
    "first_sync": first_sync.run,
    "guidance_stats": guidance_stats.run,
    "notify": notify.run,
    "peer": peer.run,
    "import_sbm": import_sbm.run,
    "fleet": fleet.run,
}
ALIASES = {"empty_pull": "pull", "first-sync": "first_sync", "empty-pull": "pull"}
RESULTS = Path(__file__).resolve().parent / "results"
HEADER = ("bench", "metric", "measured", "baseline (same run)", "ratio", "target", "met")


def table(rows: list[tuple[Any, ...]]) -> str:
    cells = [HEADER] + [
        (*(str(c) for c in row[:6]), "" if row[6] is None else ("yes" if row[6] else "NO")) for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(HEADER))]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells[1:]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not a measurement")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="run the servers under cProfile, write DIR/<bench>.prof"
    )
    parser.add_argument(
        "--only", metavar="NAMES", help="push: only these mutations (comma-separated, e.g. contact.record)"
    )
    parser.add_argument("--docs", type=int, metavar="N", help="peer: documents per direction (default 3000)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch data directories")
    args = parser.parse_args(argv)
    names = [ALIASES.get(n, n) for n in args.names] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")

    # A terminated run still stops its servers and removes its scratch directories (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    RESULTS.mkdir(exist_ok=True)
    if args.profile is not None:
        server.PROFILE_DIR = args.profile.resolve()
    if args.only:
        push.ONLY = args.only.split(",")
    if args.docs:
        peer.DOCS = args.docs
    ws = Workspace()
    rows: list[tuple[Any, ...]] = []
    failed = False
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        for name in names:
            print(f"[bench] {name}{' (quick)' if args.quick else ''} …", file=sys.stderr, flush=True)
            start, load_before = time.perf_counter(), os.getloadavg()
            try:
                result = BENCHMARKS[name](ws, args.quick)
            except Exception as exc:  # report and go on with the next benchmark
                failed = True
                print(f"[bench] {name} FAILED: {exc!r}", file=sys.stderr, flush=True)
                rows.append((name, "FAILED", type(exc).__name__, "", "", "", False))
                continue
            result.update(
                command=command.strip(),
                quick=args.quick,
                seconds=time.perf_counter() - start,
                at=datetime.now(UTC).isoformat(timespec="seconds"),
                machine={
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    # Other work on the machine skews every figure: the 1-minute load before and after.
                    "loadavg_1m": [load_before[0], os.getloadavg()[0]],
                },
            )
            rows += result["rows"]
            suffix = "-quick" if args.quick else ""
            (RESULTS / f"{name}{suffix}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
            print(f"[bench] {name} done in {result['seconds']:.1f} s", file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"[bench] data kept in {ws.root}", file=sys.stderr)
        else:
            ws.cleanup()
    print(table(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
