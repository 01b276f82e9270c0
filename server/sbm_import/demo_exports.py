"""`kaari demo sbm-exports DIR`: the five regional systems' exports at county scale, faults included.

About 60,000 clients (a share of them in two or three systems, as people moved and were served across
borders), 500,000 contacts over five years, and the queues, stays, residents and schedules of the 29 units,
written as each system wrote them: its own encoding, separator, date and time format and header spelling.
The faults real exports have are there on purpose: one person spelled differently in two systems,
identity codes with a wrong check character, municipalities by their old names, labels nobody mapped, an
empty line, a truncated last line, and one 24h unit with a resident more than its places. Identity codes
use only individual numbers 900-999 (artificial identities). Rows are written as they are made, so memory
stays flat; `scale` shrinks everything (CI uses a small one).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from server import identity_code
from server.demo import FIRST_NAMES, LAST_NAMES
from server.reference.loader import read_data

# Which municipalities each system served, and how each wrote its files.
SYSTEM_MUNICIPALITIES = {
    "kallio": ["977", "009", "535", "746", "208", "483", "563"],
    "raahe": ["678", "625", "748"],
    "oulu": ["564", "072", "244", "425", "436", "494", "859", "139", "889", "785", "615"],
    "kuusamo": ["305", "832"],
    "selanne": ["069", "626", "691", "317", "071", "630", "791"],
}
SYSTEM_AREAS = {
    "kallio": ["oulun_etelainen"],
    "raahe": ["rannikkoseutu"],
    "oulu": ["oulu", "lakeus", "oulunkaari"],
    "kuusamo": ["koillismaa"],
    "selanne": [],
}
SHARE = {"kallio": 0.15, "raahe": 0.12, "oulu": 0.5, "kuusamo": 0.1, "selanne": 0.13}
OLD_NAMES = {"564": ["Haukipudas", "Kiiminki", "Oulunsalo"], "678": ["Vihanti"], "791": ["Rantsila"]}


@dataclass(frozen=True)
class Style:
    encoding: str
    delimiter: str
    iso_dates: bool
    colon_times: bool
    header_case: str  # "as_is", "upper", "lower_spaced"


STYLES = {
    "kallio": Style("cp1252", ";", False, False, "as_is"),
    "raahe": Style("utf-8-sig", ";", True, True, "upper"),
    "oulu": Style("utf-8", ",", True, True, "as_is"),
    "kuusamo": Style("cp1252", ",", False, True, "lower_spaced"),
    "selanne": Style("utf-8", ";", False, False, "as_is"),
}
# Labels each system used; every one is Kaari's code, its Finnish label or in the system's mapping file,
# except the last of each list, which nobody mapped (its rows are refused and named in the report).
CHANNELS = {
    "kallio": ["Puhelin", "Puh.", "Käynti toimistolla", "phone", "Puhelu"],
    "raahe": ["Puhelin", "Sähköposti", "Kotikäynti", "Faksi"],
    "oulu": ["phone", "email", "service_point", "home_visit", "chat", "Puhelinpalvelu"],
    "kuusamo": ["Puhelin", "Kotikäynti (kotona)", "Kirje", "Tekstiviesti"],
    "selanne": ["Puhelin", "Chat", "Videoyhteys", "Whatsapp"],
}
CALLERS = {
    "kallio": ["Asiakas", "Omainen tai läheinen", "Ammattilainen"],
    "raahe": ["client", "relative", "professional", "anonymous_other"],
    "oulu": ["Asiakas", "Omainen", "Läheinen", "Ammattilainen"],
    "kuusamo": ["Asiakas", "Omainen tai läheinen", "Anonyymi tai muu"],
    "selanne": ["Asiakas itse", "Omainen tai läheinen", "Ammattilainen"],
}
TOPICS = {
    "kallio": ["Muistiasiat", "Kotihoito", "meals", "Apuvälineet ja asunnon muutostyöt"],
    "raahe": ["Omaishoito", "home_care", "Muistiasiat", "Asumispalvelut"],
    "oulu": ["Muistisairaus", "Kotihoidon palvelut", "day_activity", "Kuljetuspalvelut"],
    "kuusamo": ["Muistiasiat", "Turvapalvelut", "Kotihoito"],
    "selanne": ["Asuminen", "Muistiasiat", "Yksinäisyys ja vapaa-ajan toiminta"],
}
RESOLUTIONS = {
    "kallio": ["Neuvonta annettu", "Ohjattu muualle", "referred_to_assessment"],
    "raahe": ["advice_given", "Hakemus laitettu vireille", "Neuvonta annettu"],
    "oulu": ["Neuvonta annettu", "Ohjattu palvelutarpeen arviointiin", "callback_agreed"],
    "kuusamo": ["Neuvottu", "Neuvonta annettu"],
    "selanne": ["Neuvonta annettu", "Ei jatkotoimenpiteitä"],
}


def _reference(name: str) -> list[dict]:
    return read_data(name)


class _Writer:
    def __init__(self, path: Path, style: Style, columns: list[str]) -> None:
        self.stream = path.open("w", encoding=style.encoding, newline="", errors="replace")
        self.style = style
        self.writer = csv.writer(self.stream, delimiter=style.delimiter, lineterminator="\r\n")
        header = {
            "as_is": columns,
            "upper": [c.upper() for c in columns],
            "lower_spaced": [f" {c.lower()} " for c in columns],
        }[style.header_case]
        self.writer.writerow(header)
        self.rows = 0

    def date(self, day: date | None) -> str:
        if day is None:
            return ""
        return day.isoformat() if self.style.iso_dates else f"{day.day}.{day.month}.{day.year}"

    def row(self, cells: list[object]) -> None:
        self.writer.writerow(["" if c is None else c for c in cells])
        self.rows += 1

    def empty_line(self) -> None:
        self.stream.write("\r\n")

    def close(self, *, truncate_last: list[object] | None = None) -> None:
        if truncate_last is not None:
            # The export stopped mid-row: the last line has its first cells only, no line end.
            self.stream.write(
                self.style.delimiter.join("" if c is None else str(c) for c in truncate_last[:3])
            )
            self.rows += 1
        self.stream.close()


@dataclass
class Person:
    code: str | None
    first: str
    last: str
    born: date
    municipality: str
    phone: str
    street: str
    language: str
    systems: list[str] = field(default_factory=list)


def _people(rng: random.Random, total: int) -> Iterator[Person]:
    used: set[str] = set()
    for n in range(total):
        born = date(1920, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
        code = None
        if rng.random() < 0.88:
            while True:
                code = identity_code.make(born, rng.randrange(900, 1000), new_sign=rng.choice((0, 0, 0, 1)))
                if code not in used:
                    used.add(code)
                    break
        first = rng.choice(FIRST_NAMES) + (f" {rng.choice(FIRST_NAMES)}" if rng.random() < 0.6 else "")
        systems = rng.choices(list(SHARE), weights=list(SHARE.values()))
        if rng.random() < 0.1:
            systems.append(rng.choice([s for s in SHARE if s not in systems]))
            if rng.random() < 0.2:
                systems.append(rng.choice([s for s in SHARE if s not in systems]))
        yield Person(
            code=code,
            first=first,
            last=rng.choice(LAST_NAMES),
            born=born,
            municipality=rng.choice(SYSTEM_MUNICIPALITIES[systems[0]]),
            phone=f"040 {rng.randrange(1000000, 9999999)}",
            street=f"{rng.choice(['Koulu', 'Kirkko', 'Pappila', 'Rauta', 'Myllä'])}tie {n % 80 + 1}",
            language="ruotsi" if rng.random() < 0.01 else rng.choice(["suomi", "fi", "suomi"]),
            systems=systems,
        )


def _variant(rng: random.Random, person: Person) -> tuple[str, str]:
    """How a second system spelled the same person: a second first name dropped, ä and ö without dots."""
    first, last = person.first.split(" ")[0], person.last
    if rng.random() < 0.5:
        last = last.replace("ä", "a").replace("ö", "o")
    return first, last


def write_exports(directory: Path, *, scale: float = 1.0, seed: int = 2026) -> dict[str, dict[str, int]]:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    municipalities = {m["code"]: m for m in _reference("municipalities.json")}
    areas = {a["code"]: a for a in _reference("areas.json")}
    units = _reference("units.json")
    points = _reference("service_points.json")
    client_columns = [
        "Asiakasnumero", "Henkilötunnus", "Sukunimi", "Etunimet", "Syntymäaika", "Kotikunta", "Puhelin",
        "Lähiosoite", "Postinumero", "Postitoimipaikka", "Asiointikieli",
    ]  # fmt: skip
    writers = {}
    for system, style in STYLES.items():
        (directory / system).mkdir(exist_ok=True)
        writers[system] = _Writer(directory / system / "asiakkaat.csv", style, client_columns)
    clients_of: dict[str, list[str]] = {system: [] for system in STYLES}
    persons = max(10, round(53_000 * scale))
    misspelled = 0
    for n, person in enumerate(_people(rng, persons)):
        for k, system in enumerate(person.systems):
            out = writers[system]
            source_id = f"{system[:2].upper()}{n:07d}"
            clients_of[system].append(source_id)
            first, last = (person.first, person.last) if k == 0 else _variant(rng, person)
            if k == 1 and person.code and misspelled < 3:
                last, misspelled = last + "-Korhonen", misspelled + 1  # spelled differently: a conflict
            code = person.code
            if code and rng.random() < 0.0015:
                code = code[:-1] + ("0" if code[-1] != "0" else "1")  # a wrong check character
            municipality = municipalities[person.municipality]["labels"]["fi"]
            if person.municipality in OLD_NAMES and rng.random() < 0.05:
                municipality = rng.choice(OLD_NAMES[person.municipality])
            elif rng.random() < 0.2:
                municipality = person.municipality
            show_birth = code is None or rng.random() < 0.3
            out.row(
                [
                    source_id, code, last, first, out.date(person.born) if show_birth else None, municipality,
                    person.phone, person.street, "90100", municipalities[person.municipality]["labels"]["fi"],
                    person.language,
                ]
            )  # fmt: skip
            if out.rows == 1000:
                out.empty_line()
    for writer in writers.values():
        writer.close()
    counts = {system: {"asiakkaat.csv": writers[system].rows} for system in STYLES}
    for system, style in STYLES.items():
        counts[system].update(
            _system_files(
                rng, directory / system, system, style, clients_of[system], scale, areas, units, points
            )
        )
    return counts


def _system_files(
    rng: random.Random,
    folder: Path,
    system: str,
    style: Style,
    clients: list[str],
    scale: float,
    areas: dict[str, dict],
    units: list[dict],
    points: list[dict],
) -> dict[str, int]:
    today = date.today()
    contact_columns = [
        "Yhteydenottonumero", "Asiakasnumero", "Päivämäärä", "Kellonaika", "Kanava", "Yhteydenottaja",
        "Tyyppi", "Aiheet", "Ratkaisu", "Alue", "Palvelupiste", "Kirjaaja", "Kesto",
    ]  # fmt: skip
    my_areas = SYSTEM_AREAS[system] or ["oulun_etelainen"]
    my_points = [p for p in points if p["area"] in my_areas]
    recorders = [
        f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        for _ in range(max(3, round(40 * SHARE[system])))
    ]
    out = _Writer(folder / "yhteydenotot.csv", style, contact_columns)
    total = round(500_000 * SHARE[system] * scale)
    last: list[object] = []
    for n in range(total):
        day = today - timedelta(days=rng.randrange(1, 5 * 365))
        hour, minute = rng.randrange(8, 16), rng.randrange(0, 60)
        clock = f"{hour:02d}:{minute:02d}" if style.colon_times else f"{hour}.{minute:02d}"
        channels = CHANNELS[system]
        channel = channels[-1] if rng.random() < 0.0005 else rng.choice(channels[:-1])
        area = rng.choice(my_areas)
        point = rng.choice([p for p in my_points if p["area"] == area] or [None])
        last = [
            f"Y{n:08d}",
            rng.choice(clients) if clients and rng.random() < 1 / 7 else None,
            out.date(day),
            clock if rng.random() < 0.97 else None,
            channel,
            rng.choice(CALLERS[system]),
            rng.choice(["Yhteydenotto palveluun", "to_service", "from_service"]),
            "|".join(rng.sample(TOPICS[system], rng.choice((1, 1, 2)))),
            rng.choice(RESOLUTIONS[system]),
            areas[area]["labels"]["fi"],
            point["labels"]["fi"] if point else None,
            rng.choice(recorders),
            rng.choice((5, 10, 15, 20, 30, None)),
        ]
        out.row(last)
    out.close(truncate_last=[f"Y{total:08d}", None, out.date(today)])
    counts = {"yhteydenotot.csv": out.rows}
    counts.update(_placement_files(rng, folder, system, style, clients, today, areas, units))
    return counts


def _placement_files(
    rng: random.Random,
    folder: Path,
    system: str,
    style: Style,
    clients: list[str],
    today: date,
    areas: dict[str, dict],
    units: list[dict],
) -> dict[str, int]:
    # Kallio and Selänne shared the southern area's units: Kallio the first of each kind, Selänne the rest.
    mine = [u for u in units if u["area"] in SYSTEM_AREAS[system]]
    if system in ("kallio", "selanne"):
        south = [u for u in units if u["area"] == "oulun_etelainen"]
        firsts = {u["kind"]: u for u in reversed(south)}
        mine = [u for u in south if (firsts[u["kind"]] is u) == (system == "kallio")]
    pool = list(clients)
    rng.shuffle(pool)

    def take() -> str | None:
        return pool.pop() if pool else None

    residents = _Writer(
        folder / "asukkaat.csv",
        style,
        ["Asukasnumero", "Asiakasnumero", "Yksikkö", "Muuttopäivä", "Poismuuttopäivä"],
    )
    stays = _Writer(
        folder / "hoitojaksot.csv",
        style,
        ["Jaksonumero", "Asiakasnumero", "Yksikkö", "Alkupäivä", "Loppupäivä"],
    )
    schedules = _Writer(
        folder / "paivatoiminta.csv",
        style,
        ["Aikataulunumero", "Asiakasnumero", "Yksikkö", "Viikonpäivät", "Alkaen", "Päättyen"],
    )
    queue = _Writer(
        folder / "jonot.csv",
        style,
        [
            "Jononumero",
            "Asiakasnumero",
            "Palvelu",
            "Alue",
            "Saapunut",
            "Kiireellisyys",
            "Lähde",
            "MAPLe",
            "CPS",
            "ADL-H",
            "Aluetoive",
        ],
    )
    n = 0
    for area in SYSTEM_AREAS[system] or ["oulun_etelainen"]:
        for kind in ("housing_24h", "day_activity", "short_term_care", "home_care"):
            for _ in range(rng.randrange(4, 12)):
                if (client := take()) is not None:
                    n += 1
                    queue.row(
                        [
                            f"Q{n:06d}", client, kind, areas[area]["labels"]["fi"],
                            queue.date(today - timedelta(days=rng.randrange(1, 120))),
                            "Kiireellinen" if rng.random() < 0.15 else "normal", "counsellor",
                            rng.randrange(1, 6), rng.randrange(0, 7), rng.randrange(0, 7), "",
                        ]
                    )  # fmt: skip
    fi_days = {"mon": "ma", "tue": "ti", "wed": "ke", "thu": "to", "fri": "pe", "sat": "la", "sun": "su"}
    for unit in mine:
        name = unit["labels"]["fi"]
        if unit["kind"] == "housing_24h":
            # One unit of Oulu's system has a resident more than its places: reported on import.
            current = round(unit["capacity"] * 0.95) + (2 if system == "oulu" and unit is mine[1] else 0)
            current = min(current, unit["capacity"] + 1)
            for _ in range(current):
                if (client := take()) is not None:
                    n += 1
                    residents.row(
                        [
                            f"A{n:06d}",
                            client,
                            name,
                            residents.date(today - timedelta(days=rng.randrange(30, 2000))),
                            None,
                        ]
                    )
            for _ in range(unit["capacity"] // 3):  # moved out earlier: history only
                if (client := take()) is not None:
                    n += 1
                    moved_in = today - timedelta(days=rng.randrange(400, 2000))
                    residents.row(
                        [
                            f"A{n:06d}",
                            client,
                            name,
                            residents.date(moved_in),
                            residents.date(moved_in + timedelta(days=300)),
                        ]
                    )
        elif unit["kind"] == "short_term_care":
            for place in range(unit["capacity"]):
                start = today - timedelta(days=90 - place % 7)
                while start < today + timedelta(days=60):
                    if (client := take()) is not None and rng.random() < 0.8:
                        n += 1
                        stays.row(
                            [
                                f"J{n:06d}",
                                client,
                                name,
                                stays.date(start),
                                stays.date(start + timedelta(days=6)),
                            ]
                        )
                    start += timedelta(days=14)
        else:
            open_days = unit["opening_days"]
            for _ in range(round(min(unit["weekday_capacity"].values()) * 0.9)):
                if (client := take()) is not None:
                    n += 1
                    days = sorted(rng.sample(open_days, 2), key=open_days.index)
                    schedules.row(
                        [
                            f"P{n:06d}",
                            client,
                            name,
                            "|".join(fi_days[d] for d in days),
                            schedules.date(today - timedelta(days=200)),
                            None,
                        ]
                    )
    for writer in (residents, stays, schedules, queue):
        writer.close()
    return {
        "asukkaat.csv": residents.rows,
        "hoitojaksot.csv": stays.rows,
        "paivatoiminta.csv": schedules.rows,
        "jonot.csv": queue.rows,
    }
