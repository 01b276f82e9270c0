"""Codecs: every message round-trips through JSON and MessagePack; requests reject unknown fields;
content-type negotiation."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from sync_protocol import codec
from sync_protocol.codec import JSON, MSGPACK, NotAcceptable, UnsupportedMediaType
from sync_protocol.messages import (
    DelOp,
    ErrorBody,
    Health,
    MutationEnvelope,
    MutationResult,
    Poke,
    PullRequest,
    PullResponse,
    PurgeOp,
    PushError,
    PushRequest,
    PushResponse,
    PutOp,
    ScopeSummary,
)

NOW = datetime(2026, 11, 22, 8, 5, 12, 123000, tzinfo=UTC)
LOCAL = datetime(2026, 11, 22, 8, 5, 12, 123000, tzinfo=timezone(timedelta(hours=2)))
ENCODINGS = [JSON, MSGPACK]


def envelope(**overrides):
    fields = {
        "id": uuid.uuid4(),
        "seq": 17,
        "name": "attendance.check_in",
        "version": 1,
        "args": {"client_id": str(uuid.uuid4()), "date": "2026-11-22", "at": "2026-11-22T08:05:12+02:00"},
        "client_time": LOCAL,
        "base_version": None,
    }
    return MutationEnvelope(**{**fields, **overrides})


def every_message():
    mid = uuid.uuid4()
    return [
        envelope(),
        envelope(base_version=1204, client_time=None),
        PushRequest(
            protocol=1,
            client_id=uuid.uuid4(),
            app_build="2026.11.3",
            schema_version=1,
            mutations=[envelope()],
        ),
        MutationResult(id=mid, seq=17, status="applied", result={"attendance_id": "a"}),
        MutationResult(
            id=mid,
            seq=18,
            status="rejected",
            code="capacity_exhausted",
            message="full",
            details={"alternatives": [{"unit_id": "u", "free": 2}]},
        ),
        MutationResult(id=mid, seq=19, status="conflict", conflict_id=uuid.uuid4()),
        PushError(code="seq_gap", expected_seq=18),
        PushResponse(
            last_seq=17, server_time=NOW, results=[MutationResult(id=mid, seq=17, status="applied")]
        ),
        PushResponse(
            last_seq=17, server_time=NOW, results=[], error=PushError(code="seq_gap", expected_seq=18)
        ),
        Health(
            outbox_depth=3,
            oldest_pending_at=NOW,
            app_build="b",
            last_error=None,
            storage_used=1048576,
            storage_quota=52428800,
        ),
        Health(),
        PullRequest(protocol=1, client_id=uuid.uuid4(), cookie=None, schema_version=1),
        PullRequest(
            protocol=1,
            client_id=uuid.uuid4(),
            cookie="c1",
            resync_scopes=["unit:7f"],
            health=Health(outbox_depth=0),
        ),
        PutOp(type="client", id=str(mid), version=1204, scopes=["unit:7f"], data={"first_name": "Aino"}),
        DelOp(type="attendance", id=str(mid), version=1205),
        PurgeOp(scope="unit:7f"),
        ScopeSummary(checksum="9c1e000000000000", count=412),
        PullResponse(
            cookie="opaque",
            last_seq=17,
            has_more=False,
            reset=False,
            server_time=NOW,
            ops=[
                PutOp(type="code_list", id="contact.channel", version=3, scopes=["ref"], data={"codes": []}),
                DelOp(type="attendance", id=str(mid), version=1205),
                PurgeOp(scope="unit:7f"),
            ],
            outcomes=[
                MutationResult(id=mid, seq=18, status="rejected", code="capacity_exhausted", message="x")
            ],
            scopes={"unit:7f": ScopeSummary(checksum="9c1e000000000000", count=412)},
        ),
        ErrorBody(code="device_revoked", message="revoked", details={"wipe": True}),
        ErrorBody(code="token_expired"),
        Poke(version=1205),
    ]


@pytest.mark.parametrize("content_type", ENCODINGS)
@pytest.mark.parametrize("message", every_message(), ids=lambda m: type(m).__name__)
def test_every_message_round_trips(message, content_type):
    body = codec.encode(message, content_type)
    assert codec.decode(body, type(message), content_type) == message


@pytest.mark.parametrize("content_type", ENCODINGS)
def test_push_request_keeps_the_offset_of_typed_times_in_json(content_type):
    body = codec.encode(PushRequest(protocol=1, client_id=uuid.uuid4(), mutations=[envelope()]), content_type)
    decoded = codec.decode(body, PushRequest, content_type)
    assert decoded.mutations[0].client_time == LOCAL  # the same instant in both encodings
    if content_type == JSON:
        assert b"+02:00" in body


def test_wire_examples_from_the_protocol_document_decode():
    push = (
        b'{"protocol": 1, "client_id": "0b3d4c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e", "app_build": "2026.11.3",'
        b' "schema_version": 1, "mutations": [{"id": "018f4c1e-2f3a-7b5c-8d9e-0f1a2b3c4d5e", "seq": 17,'
        b' "name": "attendance.check_in", "version": 1, "args": {"date": "2026-11-22"},'
        b' "client_time": "2026-11-22T08:05:12.123+02:00", "base_version": null}]}'
    )
    request = codec.decode(push, PushRequest)
    assert request.mutations[0].client_time == LOCAL
    pull = b'{"protocol": 1, "client_id": "0b3d4c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e", "cookie": null,'
    pull += b' "schema_version": 1, "resync_scopes": [], "health": {"outbox_depth": 3, "last_error": null}}'
    assert codec.decode(pull, PullRequest).health == Health(outbox_depth=3)


def test_absent_result_fields_are_omitted():
    result = MutationResult(id=uuid.uuid4(), seq=1, status="applied")
    assert set(msgspec.json.decode(codec.encode(result))) == {"id", "seq", "status"}
    response = PushResponse(last_seq=1, server_time=NOW, results=[])
    assert "error" not in msgspec.json.decode(codec.encode(response))


def test_ops_are_tagged_by_op():
    body = msgspec.json.decode(codec.encode(PurgeOp(scope="ref")))
    assert body == {"op": "purge", "scope": "ref"}


REQUESTS = [
    (PushRequest, {"protocol": 1, "client_id": str(uuid.uuid4()), "mutations": [], "priority": "high"}),
    (
        PushRequest,
        {
            "protocol": 1,
            "client_id": str(uuid.uuid4()),
            "mutations": [{"id": str(uuid.uuid4()), "seq": 1, "name": "x", "version": 1, "user_id": "admin"}],
        },
    ),
    (PullRequest, {"protocol": 1, "client_id": str(uuid.uuid4()), "scopes": ["area:all"]}),
    (PullRequest, {"protocol": 1, "client_id": str(uuid.uuid4()), "health": {"outbox_depth": 1, "cpu": 3}}),
    (MutationEnvelope, {"id": str(uuid.uuid4()), "seq": 1, "name": "x", "version": 1, "extra": 1}),
    (Health, {"battery": 3}),
]


@pytest.mark.parametrize("content_type", ENCODINGS)
@pytest.mark.parametrize(("type_", "body"), REQUESTS)
def test_requests_reject_unknown_fields(type_, body, content_type):
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        codec.decode(codec.encode(body, content_type), type_, content_type)


@pytest.mark.parametrize(
    "bad",
    [
        {"seq": 0},
        {"version": 0},
        {"client_time": "2026-11-22T08:05:12"},  # no offset
        {"id": "not-a-uuid"},
        {"base_version": -1},
    ],
)
def test_envelope_validation(bad):
    body = {"id": str(uuid.uuid4()), "seq": 1, "name": "x", "version": 1, **bad}
    with pytest.raises(msgspec.ValidationError):
        codec.decode(codec.encode(body), MutationEnvelope)


def test_responses_tolerate_unknown_fields():
    body = {"version": 3, "unit_id": "u"}
    assert codec.decode(codec.encode(body), Poke) == Poke(version=3)


def test_unknown_op_is_rejected():
    body = {
        "cookie": "c",
        "last_seq": 0,
        "server_time": NOW.isoformat(),
        "ops": [{"op": "move", "scope": "x"}],
    }
    with pytest.raises(msgspec.ValidationError, match="Invalid value 'move'"):
        codec.decode(codec.encode(body), PullResponse)


def test_malformed_body_raises_decode_error():
    with pytest.raises(msgspec.DecodeError):
        codec.decode(b'{"protocol": 1, "cli', PushRequest)


def test_to_wire_keeps_offsets_for_msgpack():
    args = {"at": LOCAL, "client_id": uuid.UUID(int=1)}
    decoded = msgspec.msgpack.decode(codec.encode(codec.to_wire(args), MSGPACK))
    assert decoded == {"at": "2026-11-22T08:05:12.123000+02:00", "client_id": str(uuid.UUID(int=1))}


# --- content types -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("application/json", JSON),
        ("application/json; charset=utf-8", JSON),
        ("Application/JSON", JSON),
        ("application/problem+json", JSON),
        ("application/msgpack", MSGPACK),
        ("application/x-msgpack", MSGPACK),
        ("application/vnd.msgpack", MSGPACK),
    ],
)
def test_media_type(header, expected):
    assert codec.media_type(header) == expected


@pytest.mark.parametrize("header", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_unsupported_media_type(header):
    with pytest.raises(UnsupportedMediaType):
        codec.media_type(header)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/msgpack", MSGPACK),
        ("application/x-msgpack", MSGPACK),
        ("application/json, application/msgpack", JSON),
        ("application/json;q=0.5, application/msgpack", MSGPACK),
        ("application/vnd.msgpack;q=0.9, application/json;q=0.8", MSGPACK),
        ("text/html, application/msgpack;q=0.1", MSGPACK),
        ("application/msgpack;q=0, */*", JSON),
    ],
)
def test_negotiate(accept, expected):
    assert codec.negotiate(accept) == expected


def test_negotiate_default_can_be_msgpack():
    assert codec.negotiate("*/*", default=MSGPACK) == MSGPACK


@pytest.mark.parametrize("accept", ["text/html", "application/json;q=0", "image/png, text/plain;q=0.5"])
def test_not_acceptable(accept):
    with pytest.raises(NotAcceptable):
        codec.negotiate(accept)


def test_decoders_are_cached():
    codec.decode(codec.encode(Poke(version=1)), Poke)
    before = codec._decoder.cache_info().hits
    codec.decode(codec.encode(Poke(version=2)), Poke)
    assert codec._decoder.cache_info().hits == before + 1
