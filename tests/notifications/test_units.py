"""The pure parts: endpoint checks, quiet hours, the payload limit, Retry-After, topics, texts, VAPID keys."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from notifications import texts
from notifications.endpoints import EndpointRefused, check_endpoint
from notifications.payload import MAX_PAYLOAD_BYTES, Payload, PayloadTooLarge, encode
from notifications.quiet import held_until
from notifications.rules import offer_warning_at, topic_for
from notifications.sender import retry_after_seconds
from notifications.vapid import KEY_FILE, b64url, generate_private_key, load_keys, load_private_key
from server.assessments.deadlines import deadline_warning_at
from server.clock import FINLAND
from server.settings import Settings


def test_endpoint_rules():
    assert check_endpoint("https://fcm.googleapis.com/fcm/send/a")
    assert check_endpoint("https://push.example.net/x", extra_hosts=("push.example.net",))
    assert check_endpoint("https://a.b.push.example.net/x", extra_hosts=("*.push.example.net",))
    for bad in ("https://push.example.net/x", "ftp://fcm.googleapis.com/x", "https:///x", "not a url"):
        with pytest.raises(EndpointRefused):
            check_endpoint(bad)
    with pytest.raises(EndpointRefused):
        check_endpoint("http://127.0.0.1:9/x")  # loopback only when allowed
    assert check_endpoint("http://127.0.0.1:9/x", allow_loopback=True)
    assert check_endpoint("http://localhost:9/x", allow_loopback=True)
    with pytest.raises(EndpointRefused):
        check_endpoint("http://127.0.0.2:9/x", allow_loopback=True)
    with pytest.raises(EndpointRefused):
        check_endpoint("https://notify.windows.com/x")  # *.notify.windows.com is subdomains only
    with pytest.raises(EndpointRefused, match="1024"):
        check_endpoint("https://web.push.apple.com/" + "a" * 1000)


def helsinki(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=FINLAND).astimezone(UTC)


def test_quiet_hours_cross_midnight_and_daylight_saving():
    night = (time(22), time(7))
    day_ = date(2026, 12, 1)
    assert held_until(helsinki(day_, 21, 59), *night) is None
    assert held_until(helsinki(day_, 22, 0), *night) == helsinki(date(2026, 12, 2), 7)
    assert held_until(helsinki(day_, 3, 0), *night) == helsinki(day_, 7)
    assert held_until(helsinki(day_, 7, 0), *night) is None
    assert held_until(helsinki(day_, 12), time(12), time(13)) == helsinki(day_, 13)
    assert held_until(helsinki(day_, 12), None, None) is None
    assert held_until(helsinki(day_, 12), time(8), time(8)) is None
    # Summer time begins on 29 March 2026 at 03:00: a night window still ends at 07:00 local time.
    assert held_until(helsinki(date(2026, 3, 28), 23), *night) == helsinki(date(2026, 3, 29), 7)


def payload(body: str = "b", **ids: object) -> Payload:
    return Payload(
        id=str(uuid.uuid4()), kind="free_places", title="t", body=body, tag="x", url="/", ids=dict(ids),
        revision=1, created_at="2026-12-01T10:00:00+00:00",
    )  # fmt: skip


def test_payload_at_most_3993_bytes_body_shortened_never_cut_silently():
    base = len(encode(payload("")))
    exact = payload("ä" * ((MAX_PAYLOAD_BYTES - base) // 2) + "a" * ((MAX_PAYLOAD_BYTES - base) % 2))
    assert (
        len(encode(exact)) == MAX_PAYLOAD_BYTES and msgspec.json.decode(encode(exact))["body"] == exact.body
    )
    over = payload("ä" * 3000)
    data = encode(over)
    assert len(data) <= MAX_PAYLOAD_BYTES and msgspec.json.decode(data)["body"].endswith("…")
    quotes = payload('"' * 3000)  # each is two bytes in JSON: needs a second cut
    assert len(encode(quotes)) <= MAX_PAYLOAD_BYTES
    with pytest.raises(PayloadTooLarge):
        encode(payload("short", blob="x" * MAX_PAYLOAD_BYTES))


def test_retry_after_seconds_or_date():
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Tue, 01 Dec 2026 10:00:30 GMT", now) == 30
    assert retry_after_seconds("Tue, 01 Dec 2026 09:00:00 GMT", now) == 0
    assert retry_after_seconds("999999") == 3600, "capped at an hour"
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_topic_is_short_url_safe_and_per_unit():
    a, b = uuid.uuid4(), uuid.uuid4()
    assert topic_for(a) == topic_for(a) != topic_for(b)
    assert len(topic_for(a)) <= 32 and all(c.isalnum() or c in "-_" for c in topic_for(a))


def test_warnings_fall_on_working_days_in_finnish_time():
    now = helsinki(date(2026, 12, 1), 9)  # a Tuesday
    # Deadline Monday 7.12: warn on Friday 4.12 at 08:00 (the weekend is skipped).
    assert deadline_warning_at(date(2026, 12, 7), now) == helsinki(date(2026, 12, 4), 8)
    # Deadline tomorrow: today, but not before two hours after opening.
    assert deadline_warning_at(date(2026, 12, 2), now) == helsinki(date(2026, 12, 1), 11)
    expires = helsinki(date(2026, 12, 3), 9)
    assert offer_warning_at(expires, now) == helsinki(date(2026, 12, 3), 3)
    assert offer_warning_at(helsinki(date(2026, 12, 1), 10), now) == now


def test_texts_name_clients_only_by_initials_and_only_when_allowed():
    match = texts.Match(1, "A.K.", True, 5, 34)
    title, body = texts.free_places("en", "Lepola", 3, date(2026, 12, 12), [match], 4)
    assert title == "3 free places in Lepola from 12.12.2026"
    assert (
        body
        == "Free on 1 day (12.12.2026). Best matches in the queue: 1. A.K. (urgent, MAPLe 5, waiting 34 d)"
    )
    hidden = texts.Match(1, None, True, 5, 34)
    hidden_body = texts.free_places(
        "en", "Lepola", 1, date(2026, 12, 12), [hidden], 4, 3, date(2026, 12, 20)
    )[1]
    assert hidden_body == "Free on 3 days (12.12.2026-20.12.2026). 4 clients waiting in the queue."
    assert texts.free_places("fi", "Lepola", 1, date(2026, 12, 12), [], 0) == (
        "1 vapaa paikka: Lepola 12.12.2026 alkaen",
        "Vapaana 1 päivänä (12.12.2026). Jonossa ei ole odottajia.",
    )
    assert texts.language("de") == "fi" and texts.language("sv") == "sv"


def test_vapid_key_from_file_environment_or_pem(tmp_path):
    settings = Settings.from_env({"KAARI_DATA_DIR": str(tmp_path)})
    made = load_keys(settings)
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert load_keys(settings).public_key == made.public_key
    raw = generate_private_key()
    from_env = load_keys(Settings.from_env({"KAARI_DATA_DIR": str(tmp_path), "KAARI_VAPID_PRIVATE_KEY": raw}))
    assert from_env.public_key != made.public_key
    pem = load_private_key(raw).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert (
        load_keys(Settings.from_env({"KAARI_VAPID_PRIVATE_KEY": pem.decode()})).public_key
        == from_env.public_key
    )
    with pytest.raises(ValueError):
        load_private_key(b64url(b"short"))
    other_curve = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="P-256"):
        load_private_key(other_curve.decode())


def test_vapid_tokens_per_origin_verify_and_are_reused(tmp_path):
    keys = load_keys(Settings.from_env({"KAARI_DATA_DIR": str(tmp_path)}))
    fcm = keys.authorization("https://fcm.googleapis.com", now=1_000_000)
    apple = keys.authorization("https://web.push.apple.com", now=1_000_000)
    assert fcm != apple and Vapid02.verify(fcm) and Vapid02.verify(apple)
    token = fcm.split("t=")[1].split(",")[0]
    claims = msgspec.json.decode(__import__("base64").urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["aud"] == "https://fcm.googleapis.com" and claims["exp"] == 1_000_000 + 12 * 3600
    assert keys.authorization("https://fcm.googleapis.com", now=1_000_000 + 10 * 3600) == fcm
    assert keys.authorization("https://fcm.googleapis.com", now=1_000_000 + 11 * 3600 + 1) != fcm
