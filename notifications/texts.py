"""What notifications say, in the user's language (Finnish, Swedish or English; Finnish by default).

Pure: given names, counts and dates, return the title and body. Clients are never named in full: the best
matches of a queue appear by initials with the reasons of their rank, and only to recipients whose role
lets them see the queue (`Match.initials` is None otherwise; then only the count is said).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from server.clock import FINLAND

LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True, slots=True)
class Match:
    """A queued client who fits a freed place: rank in the queue and why."""

    rank: int
    initials: str | None
    urgent: bool
    maple: int | None
    days_waiting: int


def language(code: str | None) -> str:
    return code if code in LANGUAGES else "fi"


def label(labels: dict[str, str] | None, lang: str, fallback: str = "") -> str:
    labels = labels or {}
    return labels.get(lang) or labels.get("fi") or next(iter(labels.values()), fallback)


def day(value: date) -> str:
    return f"{value.day}.{value.month}.{value.year}"


def clock(moment: datetime) -> str:
    local = moment.astimezone(FINLAND)
    return f"{day(local.date())} {local:%H:%M}"


_FREE_TITLE = {
    "fi": ("{n} vapaa paikka: {unit} {date} alkaen", "{n} vapaata paikkaa: {unit} {date} alkaen"),
    "sv": ("{n} ledig plats i {unit} från {date}", "{n} lediga platser i {unit} från {date}"),
    "en": ("{n} free place in {unit} from {date}", "{n} free places in {unit} from {date}"),
}
_BEST = {
    "fi": "Jonossa parhaiten sopivat: ",
    "sv": "Bäst lämpade i kön: ",
    "en": "Best matches in the queue: ",
}
_WAITING = {
    "fi": ("Jonossa odottaa {k} asiakas.", "Jonossa odottaa {k} asiakasta."),
    "sv": ("{k} klient väntar i kön.", "{k} klienter väntar i kön."),
    "en": ("{k} client waiting in the queue.", "{k} clients waiting in the queue."),
}
_EMPTY = {
    "fi": "Jonossa ei ole odottajia.",
    "sv": "Ingen väntar i kön.",
    "en": "Nobody is waiting in the queue.",
}
_URGENT = {"fi": "kiireellinen", "sv": "brådskande", "en": "urgent"}
_DAYS = {"fi": "odottanut {d} pv", "sv": "väntat {d} d", "en": "waiting {d} d"}


def _reasons(match: Match, lang: str) -> str:
    parts = [_URGENT[lang]] if match.urgent else []
    if match.maple is not None:
        parts.append(f"MAPLe {match.maple}")
    parts.append(_DAYS[lang].format(d=match.days_waiting))
    return ", ".join(parts)


_FREE_DAYS = {
    "fi": ("Vapaana 1 päivänä ({first}).", "Vapaana {k} päivänä ({first}-{last})."),
    "sv": ("Ledig 1 dag ({first}).", "Lediga {k} dagar ({first}-{last})."),
    "en": ("Free on 1 day ({first}).", "Free on {k} days ({first}-{last})."),
}


def free_places(
    lang: str,
    unit: str,
    n: int,
    first: date,
    matches: list[Match],
    waiting: int,
    free_days: int = 1,
    last: date | None = None,
) -> tuple[str, str]:
    """Title "N free places in X from D"; the body says on how many days of the freed dates a place is
    free (so a burst that frees more days reads differently), then who in the queue fits best."""
    title = _FREE_TITLE[lang][0 if n == 1 else 1].format(n=n, unit=unit, date=day(first))
    days = _FREE_DAYS[lang][0 if free_days == 1 else 1].format(
        k=free_days, first=day(first), last=day(last or first)
    )
    named = [m for m in matches if m.initials]
    if named:
        queue = _BEST[lang] + "; ".join(f"{m.rank}. {m.initials} ({_reasons(m, lang)})" for m in named)
    elif waiting:
        queue = _WAITING[lang][0 if waiting == 1 else 1].format(k=waiting)
    else:
        queue = _EMPTY[lang]
    return title, f"{days} {queue}"


_REFERRAL_TITLE = {
    "fi": "Uusi lähete: {service}, {area}",
    "sv": "Ny remiss: {service}, {area}",
    "en": "New referral: {service}, {area}",
}
_APPLICATION_TITLE = {
    "fi": "Uusi hakemus: {service}, {area}",
    "sv": "Ny ansökan: {service}, {area}",
    "en": "New application: {service}, {area}",
}
_RECEIVED = {"fi": "saapunut {date}", "sv": "mottagen {date}", "en": "received {date}"}


def referral(
    lang: str, service: str, area: str, urgent: bool, maple: int | None, received: date
) -> tuple[str, str]:
    parts = [_URGENT[lang].capitalize()] if urgent else []
    if maple is not None:
        parts.append(f"MAPLe {maple}")
    parts.append(_RECEIVED[lang].format(date=day(received)))
    return _REFERRAL_TITLE[lang].format(service=service, area=area), ", ".join(parts) + "."


def application(lang: str, service: str, area: str, received: date) -> tuple[str, str]:
    body = _RECEIVED[lang].format(date=day(received))
    return _APPLICATION_TITLE[lang].format(service=service, area=area), body[:1].upper() + body[1:] + "."


_OFFER_TITLE = {
    "fi": "Paikkatarjous vanhenee {at}: {unit}",
    "sv": "Platserbjudandet går ut {at}: {unit}",
    "en": "Place offer expires {at}: {unit}",
}
_OFFER_BODY = {
    "fi": "Tarjous {who}alkaen {start} on vielä vastaamatta.",
    "sv": "Erbjudandet {who}från {start} är ännu obesvarat.",
    "en": "The offer {who}from {start} has not been answered.",
}
_OFFER_WHO = {"fi": "asiakkaalle {i} ", "sv": "till {i} ", "en": "to {i} "}


def offer_expiring(
    lang: str, unit: str, expires_at: datetime, start: date, initials: str | None
) -> tuple[str, str]:
    who = _OFFER_WHO[lang].format(i=initials) if initials else ""
    return (
        _OFFER_TITLE[lang].format(at=clock(expires_at), unit=unit),
        _OFFER_BODY[lang].format(who=who, start=day(start)),
    )


_DEADLINE_TITLE = {
    "fi": "PTA:n määräaika {date}: aloittamatta",
    "sv": "Tidsfrist för bedömningen {date}: inte påbörjad",
    "en": "Assessment deadline {date}: not started",
}
_DEADLINE_BODY = {
    "fi": "Palvelutarpeen arviointi ({who}yhteydenotto {contact}) on aloitettava viimeistään {date}.",
    "sv": "Bedömningen av servicebehovet ({who}kontakt {contact}) ska påbörjas senast {date}.",
    "en": "The service-needs assessment ({who}contact {contact}) must start by {date}.",
}


def deadline_at_risk(lang: str, deadline: date, contact_on: date, initials: str | None) -> tuple[str, str]:
    who = f"{initials}, " if initials else ""
    return (
        _DEADLINE_TITLE[lang].format(date=day(deadline)),
        _DEADLINE_BODY[lang].format(who=who, contact=day(contact_on), date=day(deadline)),
    )


_REJECTED_TITLE = {
    "fi": "Push-palvelu hylkää Kaaren ilmoitukset",
    "sv": "Pushtjänsten avvisar Kaaris aviseringar",
    "en": "A push service refuses Kaari's notifications",
}
_REJECTED_BODY = {
    "fi": "{origin} vastasi {code}: VAPID-avain tai sen yhteystieto ei kelpaa. Tilauksia ei poistettu.",
    "sv": "{origin} svarade {code}: VAPID-nyckeln eller dess kontakt godtas inte. Prenumerationerna behölls.",
    "en": "{origin} answered {code}: the VAPID key or its contact is refused. No subscription was removed.",
}


def push_rejected(lang: str, origin: str, code: int | None) -> tuple[str, str]:
    return _REJECTED_TITLE[lang], _REJECTED_BODY[lang].format(origin=origin, code=code or "?")


_STALE_TITLE = {
    "fi": "Laite ei synkronoi: {device}",
    "sv": "Enheten synkroniserar inte: {device}",
    "en": "A device is not syncing: {device}",
}
_STALE_BODY = {
    "fi": (
        "{unit}Viimeksi synkronoitu {since}. Lähettämättä 1 muutos.",
        "{unit}Viimeksi synkronoitu {since}. Lähettämättä {n} muutosta.",
    ),
    "sv": (
        "{unit}Senast synkroniserad {since}. 1 ändring väntar på att skickas.",
        "{unit}Senast synkroniserad {since}. {n} ändringar väntar på att skickas.",
    ),
    "en": (
        "{unit}Last synced {since}. 1 change waiting to be sent.",
        "{unit}Last synced {since}. {n} changes waiting to be sent.",
    ),
}
_NEVER = {"fi": "ei koskaan", "sv": "aldrig", "en": "never"}


def device_stale(
    lang: str, device: str, unit: str | None, last_sync: datetime | None, waiting: int
) -> tuple[str, str]:
    since = clock(last_sync) if last_sync else _NEVER[lang]
    return (
        _STALE_TITLE[lang].format(device=device),
        _STALE_BODY[lang][0 if waiting == 1 else 1].format(
            unit=f"{unit}. " if unit else "", since=since, n=waiting
        ),
    )
