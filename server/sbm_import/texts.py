"""The import report's words in Finnish, Swedish and English (`kaari import sbm --language`).

A refusal or a finding is a `Text`: a key of `MESSAGES` and its values, written out in the report's
language only when the report is printed or written. Column names and labels stay as the export has them
(they are the operator's own words for the file); the rest is translated. `str()` is English, for logs
and exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["fi", "sv", "en"]
LANGUAGES: tuple[Language, ...] = ("fi", "sv", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "no_value": {"fi": "{column}: ei arvoa", "sv": "{column}: inget värde", "en": "{column}: no value"},
    "too_long": {
        "fi": "{column}: pidempi kuin {limit} merkkiä",
        "sv": "{column}: längre än {limit} tecken",
        "en": "{column}: longer than {limit} characters",
    },
    "cell": {"fi": "{column}: {error}", "sv": "{column}: {error}", "en": "{column}: {error}"},
    "not_a_date": {
        "fi": "{value!r} ei ole päivämäärä (p.k.vvvv tai vvvv-kk-pp)",
        "sv": "{value!r} är inte ett datum (d.m.åååå eller åååå-mm-dd)",
        "en": "{value!r} is not a date (d.m.yyyy or yyyy-mm-dd)",
    },
    "no_such_date": {
        "fi": "{value!r} ei ole päivämäärä",
        "sv": "{value!r} är inte ett datum",
        "en": "{value!r} is not a date",
    },
    "not_a_time": {
        "fi": "{value!r} ei ole kellonaika (h.mm tai hh:mm)",
        "sv": "{value!r} är inte ett klockslag (h.mm eller hh:mm)",
        "en": "{value!r} is not a time (h.mm or hh:mm)",
    },
    "no_such_time": {
        "fi": "{value!r} ei ole kellonaika",
        "sv": "{value!r} är inte ett klockslag",
        "en": "{value!r} is not a time",
    },
    "not_a_number": {
        "fi": "{value!r} ei ole kokonaisluku väliltä {low}-{high}",
        "sv": "{value!r} är inte ett heltal mellan {low} och {high}",
        "en": "{value!r} is not a whole number from {low} to {high}",
    },
    "unknown_label": {
        "fi": "tuntematon {kind}-arvo {label!r} (ei Kaaren koodi, nimi eikä kuvattu arvo)",
        "sv": "okänt {kind}-värde {label!r} (inte Kaaris kod, namn eller mappade värde)",
        "en": "unknown {kind} label {label!r} (not a Kaari code, label or mapped label)",
    },
    "identity_code": {
        "fi": "Henkilötunnus: {reason}",
        "sv": "Henkilötunnus (personbeteckning): {reason}",
        "en": "Henkilötunnus: {reason}",
    },
    "identity.length": {
        "fi": "henkilötunnuksessa on 11 merkkiä",
        "sv": "en personbeteckning har 11 tecken",
        "en": "an identity code has 11 characters",
    },
    "identity.format": {
        "fi": "päivämäärän ja yksilönumeron on oltava numeroita",
        "sv": "datumet och individnumret ska vara siffror",
        "en": "the date and the individual number must be digits",
    },
    "identity.century_sign": {
        "fi": "tuntematon välimerkki (+, -YXWVU, ABCDEF)",
        "sv": "okänt sekeltecken (+, -YXWVU, ABCDEF)",
        "en": "not a century sign (+, -YXWVU, ABCDEF)",
    },
    "identity.date": {
        "fi": "alkuosa ei ole päivämäärä",
        "sv": "början är inte ett datum",
        "en": "the first part is not a date",
    },
    "identity.individual_number": {
        "fi": "yksilönumerot alkavat 002:sta",
        "sv": "individnummer börjar från 002",
        "en": "individual numbers start at 002",
    },
    "identity.check_character": {
        "fi": "tarkistusmerkki ei täsmää",
        "sv": "kontrolltecknet stämmer inte",
        "en": "the check character does not match",
    },
    "birth_date_differs": {
        "fi": "Syntymäaika eroaa henkilötunnuksen päivämäärästä",
        "sv": "Syntymäaika (födelsedatum) skiljer sig från personbeteckningens datum",
        "en": "Syntymäaika differs from the date of the identity code",
    },
    "address_too_long": {
        "fi": "Lähiosoite, Postinumero ja Postitoimipaikka: yhteensä yli 200 merkkiä",
        "sv": "Lähiosoite, Postinumero och Postitoimipaikka: tillsammans längre än 200 tecken",
        "en": "Lähiosoite, Postinumero and Postitoimipaikka: longer than 200 characters together",
    },
    "cut_short": {
        "fi": "rivi on katkennut (vähemmän soluja kuin otsikossa)",
        "sv": "raden är avbruten (färre celler än rubriken)",
        "en": "the line is cut short (fewer cells than the header)",
    },
    "repeated": {
        "fi": "{column} {source_id} toistuu tiedostossa",
        "sv": "{column} {source_id} upprepas i filen",
        "en": "{column} {source_id} is repeated in the file",
    },
    "unknown_client": {
        "fi": "Asiakasnumero {source_id} ei ole järjestelmästä {system} tuotu asiakas",
        "sv": "Asiakasnumero {source_id} är inte en importerad klient från {system}",
        "en": "Asiakasnumero {source_id} is not an imported client of {system}",
    },
    "no_topic": {"fi": "Aiheet: ei aihetta", "sv": "Aiheet: inget ämne", "en": "Aiheet: no topic"},
    "wrong_unit_kind": {
        "fi": "Yksikkö: {unit} ei ole yksikkötyyppiä {kind}",
        "sv": "Yksikkö: {unit} är inte en enhet av typen {kind}",
        "en": "Yksikkö: {unit} is not a {kind} unit",
    },
    "before": {
        "fi": "{end} on ennen kuin {start}",
        "sv": "{end} är före {start}",
        "en": "{end} is before {start}",
    },
    "not_a_weekday": {
        "fi": "Viikonpäivät: {label!r} ei ole viikonpäivä (ma, ti, ke, to, pe, la, su)",
        "sv": "Viikonpäivät: {label!r} är inte en veckodag (ma, ti, ke, to, pe, la, su)",
        "en": "Viikonpäivät: {label!r} is not a weekday (ma, ti, ke, to, pe, la, su)",
    },
    "closed_on": {
        "fi": "Viikonpäivät: {unit} on suljettu päivänä {label}",
        "sv": "Viikonpäivät: {unit} är stängd på {label}",
        "en": "Viikonpäivät: {unit} is closed on {label}",
    },
    "overbooked": {
        "fi": "{unit} {day}: {occupied} paikkaa käytössä, paikkoja {capacity}",
        "sv": "{unit} {day}: {occupied} platser upptagna av {capacity}",
        "en": "{unit} {day}: {occupied} taken of {capacity} places",
    },
    # The report's frame.
    "title": {
        "fi": "Kaari-tuonti, järjestelmä {system}",
        "sv": "Kaari-import, system {system}",
        "en": "Kaari import, system {system}",
    },
    "dry_run": {
        "fi": " (koeajo: mitään ei kirjoitettu)",
        "sv": " (provkörning: inget skrevs)",
        "en": " (dry run: nothing written)",
    },
    "file": {"fi": "tiedosto", "sv": "fil", "en": "file"},
    "line": {"fi": "rivi", "sv": "rad", "en": "line"},
    "status": {"fi": "tila", "sv": "status", "en": "status"},
    "detail": {"fi": "tieto", "sv": "uppgift", "en": "detail"},
    "read": {"fi": "luettu", "sv": "lästa", "en": "read"},
    "created": {"fi": "uusia", "sv": "nya", "en": "created"},
    "matched": {"fi": "yhdistetty", "sv": "matchade", "en": "matched"},
    "unchanged": {"fi": "ennestään", "sv": "oförändrade", "en": "unchanged"},
    "refused": {"fi": "hylätty", "sv": "avvisade", "en": "refused"},
    "possible_duplicates": {
        "fi": "mahdollisia kaksoiskappaleita",
        "sv": "möjliga dubbletter",
        "en": "possible duplicates",
    },
    "conflicts": {
        "fi": "ratkaistavia ristiriitoja",
        "sv": "konflikter att avgöra",
        "en": "conflicts to decide",
    },
    "overbooked_label": {"fi": "ylivaraus", "sv": "överbokat", "en": "overbooked"},
    "more_refused": {
        "fi": "… {count} hylättyä riviä lisää raporttitiedostossa",
        "sv": "… {count} avvisade rader till i rapportfilen",
        "en": "… {count} more refused rows in the report file",
    },
    "report_file": {"fi": "Raportti", "sv": "Rapport", "en": "Report"},
}


@dataclass(frozen=True)
class Text:
    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, language: Language) -> str:
        values = {k: v.render(language) if isinstance(v, Text) else v for k, v in self.values.items()}
        return MESSAGES[self.key][language].format(**values)

    def __str__(self) -> str:
        return self.render("en")


def t(key: str, **values: Any) -> Text:
    return Text(key, values)


def say(key: str, language: Language, **values: Any) -> str:
    return Text(key, values).render(language)
