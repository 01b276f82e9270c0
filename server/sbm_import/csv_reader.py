"""Reading one export file as a stream of rows, whatever the system's encoding and separator.

The five systems ran the same product configured differently: UTF-8 with or without a BOM, or
Windows-1252; `;` or `,` between cells; header names in any case with stray spaces. Files are read line
by line (never whole), so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from server.sbm_import.texts import Text, t

_CHUNK = 1 << 20


class ExportFileError(Exception):
    """The file cannot be read at all (no header, a missing required column): nothing of it is imported."""


class CellError(ValueError):
    """One cell's value is not what its column needs; the row is refused with this message (a `Text`)."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


def detect_encoding(path: Path) -> str:
    """`utf-8-sig` (a BOM), `utf-8` when every byte decodes as UTF-8, else `cp1252`.

    The whole file is checked in chunks: a Windows-1252 export may be plain ASCII for its first
    thousand rows, so a sample of the start would guess wrong.
    """
    with path.open("rb") as stream:
        head = stream.read(len(codecs.BOM_UTF8))
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = head
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = stream.read(_CHUNK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def detect_delimiter(header_line: str) -> str:
    """`;` or `,`, whichever separates more header cells (a Finnish name never holds either)."""
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def header_key(name: str) -> str:
    """A column name as it is matched: no surrounding spaces, case folded."""
    return name.strip().casefold()


@dataclass(slots=True)
class Row:
    line: int  # the physical line the row starts on (the header is line 1)
    cells: dict[str, str | None]  # header key → value; an empty cell is None
    complete: bool  # False: fewer cells than the header (a truncated line)


class ExportReader:
    """Rows of one export file: `for row in ExportReader(path, required=...)`."""

    def __init__(self, path: Path, *, required: tuple[str, ...] = (), known: tuple[str, ...] = ()) -> None:
        self.path = path
        self.encoding = detect_encoding(path)
        with path.open(encoding=self.encoding, errors="replace", newline="") as stream:
            first = stream.readline()
        if not first.strip():
            raise ExportFileError(f"{path.name}: the first line must be the header.")
        self.delimiter = detect_delimiter(first)
        self.header = [header_key(name) for name in next(csv.reader([first], delimiter=self.delimiter))]
        missing = [name for name in required if header_key(name) not in self.header]
        if missing:
            raise ExportFileError(f"{path.name}: missing column(s) {', '.join(missing)}.")
        self.unknown = [name for name in self.header if known and name not in {header_key(k) for k in known}]

    def __iter__(self) -> Iterator[Row]:
        width = len(self.header)
        with self.path.open(encoding=self.encoding, newline="") as stream:
            reader = csv.reader(stream, delimiter=self.delimiter, strict=True)
            next(reader, None)
            start = reader.line_num + 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    # An unterminated quote at the end: the last line was cut off.
                    yield Row(start, {}, False)
                    return
                line, start = start, reader.line_num + 1
                if not any(cell.strip() for cell in cells):
                    continue  # an empty line is no row
                values = {key: _value(cell) for key, cell in zip(self.header, cells, strict=False)}
                yield Row(line, values, len(cells) >= width)


def _value(cell: str) -> str | None:
    cell = cell.strip()
    return cell or None


_FI_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{1,2})[.:](\d{2})")


def parse_date(value: str) -> date:
    """`d.m.yyyy` or `yyyy-mm-dd`."""
    if match := _FI_DATE.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise CellError(t("not_a_date", value=value))
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(t("no_such_date", value=value)) from None


def parse_time(value: str) -> time:
    """`h.mm` or `hh:mm`."""
    if not (match := _TIME.fullmatch(value)):
        raise CellError(t("not_a_time", value=value))
    hour, minute = (int(part) for part in match.groups())
    if hour > 23 or minute > 59:
        raise CellError(t("no_such_time", value=value))
    return time(hour, minute)
