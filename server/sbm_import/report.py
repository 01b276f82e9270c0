"""The import report: counts per file, possible duplicates, overbookings and every refused row.

Refused rows are streamed to a temporary file as they are found (a broken export may refuse every row),
and the report CSV beside the input is written at the end: the summary first, then each refusal with its
file, line and reason.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPORT_NAME = "kaari-tuontiraportti.csv"
DRY_RUN_REPORT_NAME = "kaari-tuontiraportti-koeajo.csv"
COUNTS = ("read", "created", "matched", "unchanged", "refused")
SHOWN_REFUSALS = 50


@dataclass
class FileCounts:
    read: int = 0
    created: int = 0  # a new Kaari record
    matched: int = 0  # clients: the same person already in Kaari (identity code)
    unchanged: int = 0  # imported by an earlier run
    refused: int = 0


@dataclass
class Report:
    system: str
    directory: Path
    dry_run: bool
    files: dict[str, FileCounts] = field(default_factory=dict)
    possible_duplicates: int = 0
    conflicts: int = 0
    overbookings: list[str] = field(default_factory=list)
    first_refusals: list[tuple[str, int, str]] = field(default_factory=list)
    _spool: IO[str] = field(
        default_factory=lambda: tempfile.TemporaryFile("w+", encoding="utf-8", newline=""),  # noqa: SIM115 (closed by write_csv)
    )

    def counts(self, name: str) -> FileCounts:
        return self.files.setdefault(name, FileCounts())

    def refuse(self, name: str, line: int, reason: str) -> None:
        self.counts(name).refused += 1
        if len(self.first_refusals) < SHOWN_REFUSALS:
            self.first_refusals.append((name, line, reason))
        csv.writer(self._spool, delimiter=";").writerow([name, line, "refused", reason])

    @property
    def refused(self) -> int:
        return sum(counts.refused for counts in self.files.values())

    def summary_rows(self) -> list[list[str]]:
        rows = [
            [name, "", what, str(getattr(counts, what))]
            for name, counts in self.files.items()
            for what in COUNTS
        ]
        rows.append(["", "", "possible_duplicates", str(self.possible_duplicates)])
        rows.append(["", "", "conflicts", str(self.conflicts)])
        rows.extend(["", "", "overbooked", text] for text in self.overbookings)
        return rows

    @property
    def file_name(self) -> str:
        return DRY_RUN_REPORT_NAME if self.dry_run else REPORT_NAME

    def write_csv(self) -> Path:
        path = self.directory / self.file_name
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(["file", "line", "status", "detail"])
            writer.writerows(self.summary_rows())
            self._spool.seek(0)
            for line in self._spool:
                out.write(line)
        self._spool.close()
        return path

    def text(self) -> str:
        """What the command prints (the operator's words; the CSV has every refusal)."""
        head = f"{'file':<22}{'read':>9}{'created':>9}{'matched':>9}{'unchanged':>10}{'refused':>9}"
        lines = [
            f"Kaari import, system {self.system}{' (dry run: nothing written)' if self.dry_run else ''}",
            head,
        ]
        for name, c in self.files.items():
            lines.append(f"{name:<22}{c.read:>9}{c.created:>9}{c.matched:>9}{c.unchanged:>10}{c.refused:>9}")
        lines.append(
            f"possible duplicates: {self.possible_duplicates}   conflicts to decide: {self.conflicts}"
        )
        lines.extend(f"overbooked: {text}" for text in self.overbookings)
        for name, line, reason in self.first_refusals:
            lines.append(f"refused {name}:{line}: {reason}")
        if self.refused > len(self.first_refusals):
            lines.append(f"… {self.refused - len(self.first_refusals)} more refused rows in the report file")
        return "\n".join(lines)
