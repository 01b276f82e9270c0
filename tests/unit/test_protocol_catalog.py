"""The mutation catalog: lookup, upcasting, argument conversion from both encodings, describe()."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from sync_protocol import codec
from sync_protocol.catalog import Catalog, InvalidArgs, MutationSpec, UnknownMutation
from sync_protocol.messages import MutationEnvelope, PushRequest


class CheckInArgs(msgspec.Struct, forbid_unknown_fields=True):
    """Version 2 of a test mutation: v1 had ``time`` instead of ``at`` and no ``source``."""

    client_id: uuid.UUID
    unit_id: uuid.UUID
    date: date
    at: datetime
    source: str = "tablet"


class Entry(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    at: datetime
    view: str


class ViewedArgs(msgspec.Struct, forbid_unknown_fields=True):
    entries: list[Entry]


def v1_to_v2(args: dict[str, Any]) -> dict[str, Any]:
    args["at"] = args.pop("time")
    return args


@pytest.fixture
def catalog():
    return Catalog(
        [
            MutationSpec(
                "attendance.check_in",
                2,
                CheckInArgs,
                upcasters={1: v1_to_v2},
                description="Check a client in.",
            ),
            MutationSpec("audit.viewed", 1, ViewedArgs),
        ]
    )


def args_v2(**overrides):
    return {
        "client_id": str(uuid.UUID(int=1)),
        "unit_id": str(uuid.UUID(int=2)),
        "date": "2026-11-22",
        "at": "2026-11-22T08:05:12+02:00",
        **overrides,
    }


EXPECTED_AT = datetime(2026, 11, 22, 8, 5, 12, tzinfo=timezone(timedelta(hours=2)))


def test_lookup_current_version(catalog):
    spec, args = catalog.lookup("attendance.check_in", 2, args_v2())
    assert spec.name == "attendance.check_in"
    assert args == CheckInArgs(
        client_id=uuid.UUID(int=1), unit_id=uuid.UUID(int=2), date=date(2026, 11, 22), at=EXPECTED_AT
    )


def test_lookup_upcasts_v1_to_v2(catalog):
    v1 = args_v2()
    v1["time"] = v1.pop("at")
    _, args = catalog.lookup("attendance.check_in", 1, v1)
    assert args.at == EXPECTED_AT
    assert args.source == "tablet"
    assert "time" in v1  # the caller's dict is not modified


def test_upcasting_is_chained():
    calls = []

    def one(args):
        calls.append(1)
        return {**args, "b": 1}

    def two(args):
        calls.append(2)
        return {**args, "c": 2}

    class Args(msgspec.Struct):
        a: int
        b: int
        c: int

    catalog = Catalog([MutationSpec("x.y", 3, Args, upcasters={1: one, 2: two})])
    assert catalog.lookup("x.y", 1, {"a": 0})[1] == Args(a=0, b=1, c=2)
    assert calls == [1, 2]


def test_unknown_name(catalog):
    with pytest.raises(UnknownMutation, match="no such mutation") as info:
        catalog.lookup("attendance.teleport", 1, {})
    assert info.value.code == "unknown_mutation"


@pytest.mark.parametrize("version", [0, 3, 99])
def test_version_outside_the_known_range(catalog, version):
    with pytest.raises(UnknownMutation, match="current version is 2"):
        catalog.lookup("attendance.check_in", version, args_v2())


def test_version_without_an_upcaster():
    catalog = Catalog([MutationSpec("x.y", 3, CheckInArgs, upcasters={2: v1_to_v2})])
    with pytest.raises(UnknownMutation, match="no upcaster from v1 to v2"):
        catalog.lookup("x.y", 1, {})


def test_failing_upcaster_is_invalid_args(catalog):
    with pytest.raises(InvalidArgs, match="cannot upcast from v1"):
        catalog.lookup("attendance.check_in", 1, args_v2())  # v1 args must have "time"


def test_invalid_args_message_and_path(catalog):
    with pytest.raises(InvalidArgs) as info:
        catalog.lookup("attendance.check_in", 2, args_v2(date="2026-13-45"))
    error = info.value
    assert error.code == "invalid_args"
    assert error.path == "$.date"
    assert (
        str(error) == "invalid arguments for attendance.check_in v2 at $.date: Invalid RFC3339 encoded date"
    )
    assert error.details == {"path": "$.date", "reason": "Invalid RFC3339 encoded date"}


def test_invalid_nested_args_path(catalog):
    entries = [{"client_id": str(uuid.uuid4()), "at": "2026-11-22T08:00:00Z", "view": "card"}]
    entries.append({"client_id": "nope", "at": "2026-11-22T08:00:00Z", "view": "card"})
    with pytest.raises(InvalidArgs) as info:
        catalog.lookup("audit.viewed", 1, {"entries": entries})
    assert info.value.path == "$.entries[1].client_id"
    assert "Invalid UUID" in str(info.value)


def test_missing_and_unknown_args(catalog):
    args = args_v2()
    del args["unit_id"]
    with pytest.raises(InvalidArgs, match="missing required field `unit_id`") as info:
        catalog.lookup("attendance.check_in", 2, args)
    assert info.value.path == "$"
    with pytest.raises(InvalidArgs, match="unknown field `user_id`"):
        catalog.lookup("attendance.check_in", 2, args_v2(user_id="admin"))


def test_args_must_be_an_object(catalog):
    with pytest.raises(InvalidArgs, match="expected an object, got list"):
        catalog.lookup("attendance.check_in", 2, [1, 2])


@pytest.mark.parametrize("content_type", [codec.JSON, codec.MSGPACK])
def test_args_from_both_encodings_convert(catalog, content_type):
    """Dates, times and UUIDs arrive as strings in both encodings; they convert to the same values."""
    envelope = MutationEnvelope(id=uuid.uuid4(), seq=1, name="attendance.check_in", version=2, args=args_v2())
    body = codec.encode(PushRequest(protocol=1, client_id=uuid.uuid4(), mutations=[envelope]), content_type)
    received = codec.decode(body, PushRequest, content_type).mutations[0]
    assert received.args["date"] == "2026-11-22"
    _, args = catalog.lookup(received.name, received.version, received.args)
    assert args.date == date(2026, 11, 22)
    assert args.at == EXPECTED_AT
    assert args.at.utcoffset() == timedelta(hours=2)
    assert args.client_id == uuid.UUID(int=1)


def test_args_with_msgpack_timestamps_convert(catalog):
    """A MessagePack client may send a time as a timestamp extension: same instant, in UTC."""
    raw = {**args_v2(), "at": EXPECTED_AT, "client_id": uuid.UUID(int=1)}
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(raw), type=dict[str, Any])
    assert isinstance(decoded["at"], datetime)
    _, args = catalog.lookup("attendance.check_in", 2, decoded)
    assert args.at == EXPECTED_AT
    assert args.at.tzinfo == UTC


def test_describe(catalog):
    described = catalog.describe()
    names = [m["name"] for m in described["mutations"]]
    assert names == ["attendance.check_in", "audit.viewed"]
    check_in = described["mutations"][0]
    assert check_in["version"] == 2
    assert check_in["description"] == "Check a client in."
    assert check_in["capacity_taking"] is False
    schema = check_in["args_schema"]
    body = schema["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    assert body["required"] == ["client_id", "unit_id", "date", "at"]
    assert body["properties"]["date"] == {"type": "string", "format": "date"}
    assert body["properties"]["client_id"]["format"] == "uuid"
    assert body["additionalProperties"] is False
    msgspec.json.encode(described)  # serialisable as the catalog endpoint's body


def test_decorator_registers_the_handler():
    catalog = Catalog()

    @catalog.mutation("stay.book", args=CheckInArgs, capacity_taking=True)
    def book(args):
        """Book a short-term care stay.

        Long explanation.
        """

    spec = catalog.get("stay.book")
    assert spec is not None
    assert spec.handler is book
    assert spec.capacity_taking
    assert spec.description == "Book a short-term care stay."
    assert "stay.book" in catalog
    assert len(catalog) == 1


def test_a_name_registers_once(catalog):
    with pytest.raises(ValueError, match="already registered"):
        catalog.register(MutationSpec("audit.viewed", 1, ViewedArgs))


def test_spec_validation():
    with pytest.raises(ValueError, match="versions start at 1"):
        MutationSpec("x", 0, ViewedArgs)
    with pytest.raises(ValueError, match=r"upcasters must be for versions 1\.\.1"):
        MutationSpec("x", 2, ViewedArgs, upcasters={2: v1_to_v2})
