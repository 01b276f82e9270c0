"""`kaari import sbm` on both engines: each rule and refusal, re-runs, dry runs, several systems, the county."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.models import Client, ClientUnit
from server.clock import today_in_finland
from server.conflicts.models import Conflict
from server.contacts.models import Contact, ContactTopic
from server.identity_code import make
from server.places.models import Residency, Stay
from server.queue.models import QueueEntry
from server.sbm_import.demo_exports import write_exports
from server.sbm_import.importer import record_id, run_import
from server.sbm_import.models import ImportedRecord, PossibleDuplicate
from server.sbm_import.report import REPORT_NAME

CLIENT_HEADER = "Asiakasnumero;Henkilötunnus;Sukunimi;Etunimet;Syntymäaika;Kotikunta;Puhelin;Asiointikieli"
CONTACT_HEADER = "Yhteydenottonumero;Asiakasnumero;Päivämäärä;Kellonaika;Kanava;Yhteydenottaja;Tyyppi;Aiheet;Ratkaisu;Alue;Palvelupiste;Kirjaaja;Kesto"
AINO = make(date(1940, 3, 14), 921)
VEIKKO = make(date(1938, 7, 2), 955, new_sign=1)


def write(folder: Path, name: str, header: str, *lines: str, encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(("\r\n".join((header, *lines)) + "\r\n").encode(encoding))


async def count(db: AsyncSession, model: type) -> int:
    return await db.scalar(select(func.count()).select_from(model))


async def run(db: AsyncSession, system: str, folder: Path, *, dry_run: bool = False):
    report = await run_import(db, system, folder, dry_run=dry_run)
    await (db.rollback() if dry_run else db.commit())
    report.write_csv()
    return report


def kallio(folder: Path) -> Path:
    wrong_check = AINO[:-1] + ("0" if AINO[-1] != "0" else "1")
    write(
        folder,
        "asiakkaat.csv",
        CLIENT_HEADER,
        f"K1;{AINO};Mäkelä;Aino Maria;;Ylivieska;040 1;suomi",
        f"K2;{VEIKKO};Virtanen;Veikko;;977;;fi",
        "K3;;Öberg;Anna Helmi;2.4.1941;Haukipudas;;ruotsi",  # an old municipality name
        f"K4;{wrong_check};Korhonen;Kalle;;Ylivieska;;",
        f"K5;;{'K' * 101};Liian;1.1.1950;Ylivieska;;",  # one past the 100 characters of a last name
        f"K6;;{'K' * 100};Juuri;1.1.1950;Ylivieska;;",
        "K7;;Lahti;Lauri;1.1.1950;Atlantis;;",
        "K8;;Lahti;Lauri",  # cut short
        encoding="cp1252",
    )
    write(
        folder,
        "yhteydenotot.csv",
        CONTACT_HEADER,
        "Y1;K1;3.2.2024;9.15;Puhelin;Omainen tai läheinen;Yhteydenotto palveluun;Muistiasiat|Kotihoito;Neuvonta annettu;Oulun eteläinen;;Maija Ohjaaja;15",
        "Y2;;2024-02-03;;Puh.;client;to_service;meals;Ohjattu muualle;oulun_etelainen;;;",  # anonymous, mapped label
        "Y3;K1;3.2.2024;10:00;Savumerkki;Asiakas;to_service;meals;advice_given;Oulun eteläinen;;;",
        "Y4;K99;3.2.2024;10:00;phone;Asiakas;to_service;meals;advice_given;Oulun eteläinen;;;",
        "Y5;K2;31.2.2024;10:00;phone;Asiakas;to_service;meals;advice_given;Oulun eteläinen;;;",
        "",
        "Y6;K2;1.3.2024;10:00;phone;Asiakas;to_service;meals;advice_given;Oulun eteläinen;;;1441",
    )
    return folder


async def test_clients_and_contacts_each_rule_and_refusal(db: AsyncSession, tmp_path: Path) -> None:
    report = await run(db, "kallio", kallio(tmp_path / "kallio"))

    clients = report.files["asiakkaat.csv"]
    assert (clients.read, clients.created, clients.refused) == (8, 4, 4)
    reasons = {(name, line): reason for name, line, reason in report.first_refusals}
    assert "check character" in reasons[("asiakkaat.csv", 5)]
    assert "longer than 100" in reasons[("asiakkaat.csv", 6)]
    assert "'Atlantis'" in reasons[("asiakkaat.csv", 8)]
    assert "cut short" in reasons[("asiakkaat.csv", 9)]
    contacts = report.files["yhteydenotot.csv"]
    assert (contacts.read, contacts.created, contacts.refused) == (6, 2, 4)
    assert "'Savumerkki'" in reasons[("yhteydenotot.csv", 4)]  # the label is named, never guessed
    assert "K99" in reasons[("yhteydenotot.csv", 5)]
    assert "not a date" in reasons[("yhteydenotot.csv", 6)]
    assert "1440" in reasons[("yhteydenotot.csv", 8)]  # line 7 is empty: the line numbers still count it

    aino = await db.get(Client, record_id("kallio", "client", "K1"))
    assert (aino.last_name, aino.first_name, aino.birth_date, aino.service_language) == (
        "Mäkelä",
        "Aino Maria",
        date(1940, 3, 14),
        "fi",
    )
    anna = await db.get(Client, record_id("kallio", "client", "K3"))
    assert anna.service_language == "sv"
    first = await db.get(Contact, record_id("kallio", "contact", "Y1"))
    assert (first.client_id, first.channel, first.caller_type, first.topics, first.month) == (
        aino.id,
        "phone",
        "relative",
        ["memory_issues", "home_care"],
        "2024-02",
    )
    assert first.occurred_at.hour == 7  # 9.15 in Finland in winter is 07:15 UTC
    anonymous = await db.get(Contact, record_id("kallio", "contact", "Y2"))
    assert (anonymous.client_id, anonymous.channel, anonymous.resolution) == (
        None,
        "phone",
        "referred_elsewhere",
    )
    assert await count(db, ContactTopic) == 3

    # The report beside the input: the summary, then every refused row with file, line and reason.
    with (tmp_path / "kallio" / REPORT_NAME).open(encoding="utf-8-sig") as stream:
        rows = list(csv.reader(stream, delimiter=";"))
    assert ["asiakkaat.csv", "", "created", "4"] in rows
    assert ["yhteydenotot.csv", "5", "refused", reasons[("yhteydenotot.csv", 5)]] in rows


async def test_a_rerun_changes_nothing_and_a_dry_run_writes_nothing(db: AsyncSession, tmp_path: Path) -> None:
    folder = kallio(tmp_path / "kallio")
    dry = await run(db, "kallio", folder, dry_run=True)
    assert await count(db, Client) == 0 and await count(db, ImportedRecord) == 0
    first = await run(db, "kallio", folder)
    assert {k: vars(v) for k, v in dry.files.items()} == {k: vars(v) for k, v in first.files.items()}
    before = [await count(db, model) for model in (Client, Contact, ContactTopic, ImportedRecord)]

    again = await run(db, "kallio", folder)
    assert [await count(db, model) for model in (Client, Contact, ContactTopic, ImportedRecord)] == before
    assert (again.files["asiakkaat.csv"].unchanged, again.files["asiakkaat.csv"].created) == (4, 0)
    assert (again.files["yhteydenotot.csv"].unchanged, again.files["yhteydenotot.csv"].created) == (2, 0)


async def test_the_same_person_in_two_systems(db: AsyncSession, tmp_path: Path) -> None:
    await run(db, "kallio", kallio(tmp_path / "kallio"))
    write(
        tmp_path / "selanne",
        "asiakkaat.csv",
        CLIENT_HEADER,
        f"S1;{AINO};Makela;Aino;;Ylivieska;040 2;suomi",  # same code: one client, differing fields
        "S2;;Oberg;Anna;2.4.1941;Oulu;;",  # no code: same name key and birth date -> possible duplicate
        "S3;;Oberg;Anna;3.4.1941;Oulu;;",  # another birth date: someone else
    )
    report = await run(db, "selanne", tmp_path / "selanne")

    clients = report.files["asiakkaat.csv"]
    assert (clients.created, clients.matched) == (2, 1)
    aino = record_id("kallio", "client", "K1")
    assert (
        await db.scalar(
            select(ImportedRecord.record_id).where(
                ImportedRecord.system == "selanne", ImportedRecord.source_id == "S1"
            )
        )
        == aino
    )
    conflicts = {
        c.field: (c.kept_value, c.proposed_value) for c in (await db.scalars(select(Conflict))).all()
    }
    assert conflicts == {
        "first_name": ("Aino Maria", "Aino"),
        "last_name": ("Mäkelä", "Makela"),
        "phone": ("040 1", "040 2"),
    }
    assert (await db.get(Client, aino)).last_name == "Mäkelä"  # kept until a person decides
    (pair,) = (await db.scalars(select(PossibleDuplicate))).all()
    assert {pair.client_id, pair.other_client_id} == {
        record_id("kallio", "client", "K3"),
        record_id("selanne", "client", "S2"),
    }
    assert report.possible_duplicates == 1


async def test_places_count_and_an_overbooking_is_reported(db: AsyncSession, tmp_path: Path) -> None:
    today = today_in_finland()
    folder = tmp_path / "kuusamo"
    # Hoivakoti Vaarala has 36 places: 37 residents today is one too many.
    people = [f"{n};;Asukas;Nro{n};1.1.1930;Kuusamo;;" for n in range(1, 40)]
    write(folder, "asiakkaat.csv", CLIENT_HEADER, *people)
    write(
        folder,
        "asukkaat.csv",
        "Asukasnumero;Asiakasnumero;Yksikkö;Muuttopäivä;Poismuuttopäivä",
        *[f"A{n};{n};Hoivakoti Vaarala;{today - timedelta(days=100)};" for n in range(1, 38)],
        f"A38;38;Päiväkeskus Tunturikello;{today};",  # not a 24h unit
    )
    write(
        folder,
        "hoitojaksot.csv",
        "Jaksonumero;Asiakasnumero;Yksikkö;Alkupäivä;Loppupäivä",
        f"J1;38;Lyhytaikaisyksikkö Jäkälä;{today};{today + timedelta(days=6)}",
        f"J2;39;Lyhytaikaisyksikkö Jäkälä;{today};{today - timedelta(days=1)}",
    )
    write(
        folder,
        "paivatoiminta.csv",
        "Aikataulunumero;Asiakasnumero;Yksikkö;Viikonpäivät;Alkaen;Päättyen",
        f"P1;39;Päiväkeskus Tunturikello;ma|ke;{today};",
        f"P2;39;Päiväkeskus Tunturikello;la;{today};",  # closed on Saturdays
    )
    write(
        folder,
        "jonot.csv",
        "Jononumero;Asiakasnumero;Palvelu;Alue;Saapunut;Kiireellisyys;MAPLe",
        f"Q1;39;Ympärivuorokautinen palveluasuminen;Koillismaa;{today};Kiireellinen;4",
        f"Q2;39;housing_24h;Koillismaa;{today};urgent;7",
    )
    report = await run(db, "kuusamo", folder)

    assert report.files["asukkaat.csv"].created == 37 and report.files["asukkaat.csv"].refused == 1
    assert any("Hoivakoti Vaarala" in text and "37 taken of 36" in text for text in report.overbooked())
    assert await count(db, Residency) == 37
    assert (report.files["hoitojaksot.csv"].created, report.files["hoitojaksot.csv"].refused) == (1, 1)
    assert await count(db, Stay) == 1
    assert (report.files["paivatoiminta.csv"].created, report.files["paivatoiminta.csv"].refused) == (1, 1)
    assert report.files["jonot.csv"].refused == 1  # MAPLe 7 is out of range
    assert await count(db, QueueEntry) == report.files["jonot.csv"].created
    # Unit staff get their basis: each placed client is served by the unit.
    assert await count(db, ClientUnit) == 39


async def test_the_generated_county_at_a_reduced_size(db: AsyncSession, tmp_path: Path) -> None:
    counts = write_exports(tmp_path, scale=0.01, seed=7)
    reports = {system: await run(db, system, tmp_path / system) for system in counts}

    for system, report in reports.items():
        for name, rows in counts[system].items():
            c = report.files.get(name)
            read = c.read if c else 0
            assert read == rows, (system, name)
            assert c is None or c.created + c.matched + c.unchanged + c.refused == c.read
        # Faults the exports carry: a cut-short last line and an unknown label in every contact file.
        refusals = [reason for file, _, reason in report.first_refusals if file == "yhteydenotot.csv"]
        assert any("cut short" in reason for reason in refusals), system
    assert sum(r.files["asiakkaat.csv"].matched for r in reports.values()) > 0  # people in several systems
    total_clients = sum(r.files["asiakkaat.csv"].created for r in reports.values())
    assert await count(db, Client) == total_clients


def test_the_report_in_finnish_swedish_and_english(tmp_path: Path) -> None:
    from server.sbm_import.report import Report
    from server.sbm_import.texts import LANGUAGES, MESSAGES, t

    # Every message has all three languages, with the same values in each.
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), key
    words = {
        "fi": ("hylätty", "rivi on katkennut", "Kotikunta: tuntematon", "tiedosto;rivi;tila;tieto"),
        "sv": ("avvisade", "raden är avbruten", "Kotikunta: okänt", "fil;rad;status;uppgift"),
        "en": ("refused", "the line is cut short", "Kotikunta: unknown", "file;line;status;detail"),
    }
    for language, (refused, cut, unknown, header) in words.items():
        report = Report("oulu", tmp_path, False, language)
        report.refuse("asiakkaat.csv", 3, t("cut_short"))
        label = t("cell", column="Kotikunta", error=t("unknown_label", kind="municipality", label="Atlantis"))
        report.refuse("asiakkaat.csv", 4, label)
        printed = report.text()
        assert (
            f"{refused} asiakkaat.csv:3: {cut}" in printed and unknown in printed and "'Atlantis'" in printed
        )
        written = report.write_csv().read_text(encoding="utf-8-sig").splitlines()
        assert written[0] == header
