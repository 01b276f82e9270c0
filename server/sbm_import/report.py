"""The import report: counts per file, possible duplicates, overbookings and every refused row.

Refused rows are streamed to a temporary file as they are found (a broken export may refuse every row),
and the report CSV beside the input is written at the end: the summary first, then each refusal with its
file, line and reason. Every word of it is in the report's language (`texts.py`: Finnish, Swedish or
English); the counts' column names in the CSV's summary rows stay machine-readable keys.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from server.sbm_import.texts import Language, Text, say

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
    language: Language = "en"
    files: dict[str, FileCounts] = field(default_factory=dict)
    possible_duplicates: int = 0
    conflicts: int = 0
    overbookings: list[Text] = field(default_factory=list)
    first_refusals: list[tuple[str, int, str]] = field(default_factory=list)
    _spool: IO[str] = field(
        default_factory=lambda: tempfile.TemporaryFile("w+", encoding="utf-8", newline=""),  # noqa: SIM115 (closed by write_csv)
    )

    def counts(self, name: str) -> FileCounts:
        return self.files.setdefault(name, FileCounts())

    def refuse(self, name: str, line: int, text: Text) -> None:
        reason = text.render(self.language)
        self.counts(name).refused += 1
        if len(self.first_refusals) < SHOWN_REFUSALS:
            self.first_refusals.append((name, line, reason))
        csv.writer(self._spool, delimiter=";").writerow([name, line, self.say("refused"), reason])

    def say(self, key: str, **values: object) -> str:
        return say(key, self.language, **values)

    def overbooked(self) -> list[str]:
        return [text.render(self.language) for text in self.overbookings]

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
        rows.extend(["", "", "overbooked", text] for text in self.overbooked())
        return rows

    @property
    def file_name(self) -> str:
        return DRY_RUN_REPORT_NAME if self.dry_run else REPORT_NAME

    def write_csv(self) -> Path:
        path = self.directory / self.file_name
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow([self.say(k) for k in ("file", "line", "status", "detail")])
            writer.writerows(self.summary_rows())
            self._spool.seek(0)
            for line in self._spool:
                out.write(line)
        self._spool.close()
        return path

    def text(self) -> str:
        """What the command prints (the operator's words; the CSV has every refusal)."""
        say = self.say
        head = f"{say('file'):<22}" + "".join(f"{say(k):>12}" for k in COUNTS)
        title = say("title", system=self.system) + (say("dry_run") if self.dry_run else "")
        lines = [title, head]
        for name, c in self.files.items():
            lines.append(f"{name:<22}" + "".join(f"{getattr(c, k):>12}" for k in COUNTS))
        lines.append(
            f"{say('possible_duplicates')}: {self.possible_duplicates}   {say('conflicts')}: {self.conflicts}"
        )
        lines.extend(f"{say('overbooked_label')}: {text}" for text in self.overbooked())
        for name, line, reason in self.first_refusals:
            lines.append(f"{say('refused')} {name}:{line}: {reason}")
        if self.refused > len(self.first_refusals):
            lines.append(say("more_refused", count=self.refused - len(self.first_refusals)))
        return "\n".join(lines)
