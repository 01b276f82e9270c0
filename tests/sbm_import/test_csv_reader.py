"""The export reader: encodings, separators, header spelling, dates, times, empty and cut-short lines."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from server.sbm_import.csv_reader import (
    CellError,
    ExportFileError,
    ExportReader,
    detect_encoding,
    parse_date,
    parse_time,
)

TEXT = "Asiakasnumero;Sukunimi;Etunimet\r\n1;Mäkelä;Äimä Öljy\r\n2;Virtanen;Anna\r\n"


@pytest.mark.parametrize(
    ("encoding", "written_as"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")],
)
def test_each_encoding_reads_the_same_rows(tmp_path: Path, encoding: str, written_as: str) -> None:
    path = tmp_path / "asiakkaat.csv"
    path.write_bytes(TEXT.encode(written_as))
    assert detect_encoding(path) == encoding
    rows = list(ExportReader(path, required=("Asiakasnumero",)))
    assert [(r.line, r.cells) for r in rows] == [
        (2, {"asiakasnumero": "1", "sukunimi": "Mäkelä", "etunimet": "Äimä Öljy"}),
        (3, {"asiakasnumero": "2", "sukunimi": "Virtanen", "etunimet": "Anna"}),
    ]


def test_windows_1252_is_found_even_when_the_first_megabyte_is_plain_ascii(tmp_path: Path) -> None:
    path = tmp_path / "asiakkaat.csv"
    filler = "".join(f"{n};Virtanen;Anna\r\n" for n in range(70_000))  # over 1 MB of ASCII
    path.write_bytes(("Asiakasnumero;Sukunimi;Etunimet\r\n" + filler + "x;Mäkelä;Öljy\r\n").encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    assert detect_encoding(path) == "cp1252"
    assert list(ExportReader(path))[-1].cells["sukunimi"] == "Mäkelä"


def test_comma_separated_headers_in_any_case_and_spacing_and_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "asiakkaat.csv"
    path.write_text(' ASIAKASNUMERO , sukunimi ,Etunimet\n1,"Virtanen, jr",\n', encoding="utf-8")
    reader = ExportReader(path, required=("Asiakasnumero", "Sukunimi"))
    assert reader.delimiter == ","
    (row,) = list(reader)
    assert row.cells == {"asiakasnumero": "1", "sukunimi": "Virtanen, jr", "etunimet": None}
    assert row.complete


def test_a_missing_required_column_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "asiakkaat.csv"
    path.write_text("Asiakasnumero;Sukunimi\n1;Virtanen\n", encoding="utf-8")
    with pytest.raises(ExportFileError, match="Etunimet"):
        ExportReader(path, required=("Asiakasnumero", "Etunimet"))
    empty = tmp_path / "tyhja.csv"
    empty.write_text("\n1;2\n", encoding="utf-8")
    with pytest.raises(ExportFileError, match="header"):
        ExportReader(empty)


def test_an_empty_line_is_skipped_and_a_cut_short_last_line_is_marked(tmp_path: Path) -> None:
    path = tmp_path / "yhteydenotot.csv"
    path.write_text("A;B;C\n1;2;3\n\n;;\n4;5;6\n7;8", encoding="utf-8")
    rows = list(ExportReader(path))
    assert [(r.line, r.complete) for r in rows] == [(2, True), (5, True), (6, False)]


def test_an_unterminated_quote_at_the_end_is_one_cut_short_row(tmp_path: Path) -> None:
    path = tmp_path / "yhteydenotot.csv"
    path.write_text('A;B;C\n1;2;3\n4;"cut', encoding="utf-8")
    rows = list(ExportReader(path))
    assert [(r.line, r.complete) for r in rows] == [(2, True), (3, False)]


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.2.2024", date(2024, 2, 1)), ("01.02.2024", date(2024, 2, 1)), ("2024-02-01", date(2024, 2, 1))],
)
def test_dates(text: str, value: date) -> None:
    assert parse_date(text) == value


@pytest.mark.parametrize("text", ["31.11.2024", "2024-2-1", "1.2.24", "2024/02/01", "tänään"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(CellError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "value"), [("8.05", time(8, 5)), ("08:05", time(8, 5)), ("23:59", time(23, 59))]
)
def test_times(text: str, value: time) -> None:
    assert parse_time(text) == value


@pytest.mark.parametrize("text", ["24:00", "12:60", "8", "8.5", "klo 8"])
def test_bad_times(text: str) -> None:
    with pytest.raises(CellError):
        parse_time(text)
