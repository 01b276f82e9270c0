"""Field policies (§6): every decision of ``decide`` and the declarative registry."""

import pytest

from sync_protocol.policies import (
    Action,
    FieldChange,
    FieldDecision,
    Policy,
    PolicyRegistry,
    UnknownField,
    decide,
    record_policies,
    recorded,
)

# --- server ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("proposed", [5, 7, None])
def test_server_fields_are_always_refused(proposed):
    assert decide(Policy.SERVER, 5, 10, proposed, 10) == FieldDecision(Action.REFUSE, 5)


# --- lww ---------------------------------------------------------------------------------------------------


def test_lww_applies_a_new_value_whatever_the_base():
    assert decide(Policy.LWW, "040 1", 10, "040 2", 3) == FieldDecision(Action.APPLY, "040 2")
    assert decide(Policy.LWW, "040 1", 10, "040 2", None) == FieldDecision(Action.APPLY, "040 2")


def test_lww_same_value_is_a_noop():
    assert decide(Policy.LWW, "040 1", 10, "040 1", 3) == FieldDecision(Action.NOOP, "040 1")


def test_lww_can_clear_a_value():
    assert decide(Policy.LWW, "note", 2, None, 1) == FieldDecision(Action.APPLY, None)


# --- append ------------------------------------------------------------------------------------------------


def test_append_adds_new_items_in_order():
    decision = decide(Policy.APPEND, ["a"], 3, ["b", "c"], 1)
    assert decision == FieldDecision(Action.APPLY, ["a", "b", "c"])


def test_append_to_nothing():
    assert decide(Policy.APPEND, None, None, ["a"], None) == FieldDecision(Action.APPLY, ["a"])


def test_append_a_single_value():
    assert decide(Policy.APPEND, ["a"], 3, "b", 1) == FieldDecision(Action.APPLY, ["a", "b"])


def test_append_replay_is_a_noop():
    assert decide(Policy.APPEND, ["a", "b"], 3, ["b"], 1) == FieldDecision(Action.NOOP, ["a", "b"])


def test_append_never_removes_or_overwrites():
    decision = decide(Policy.APPEND, [{"id": 1}], 3, [{"id": 2}, {"id": 2}], 1)
    assert decision == FieldDecision(Action.APPLY, [{"id": 1}, {"id": 2}])


# --- merge -------------------------------------------------------------------------------------------------


def test_merge_uses_the_rule():
    decision = decide(Policy.MERGE, 5, 3, 9, 1, merge=max)
    assert decision == FieldDecision(Action.APPLY, 9)


def test_merge_without_change_is_a_noop():
    assert decide(Policy.MERGE, 9, 3, 5, 1, merge=max) == FieldDecision(Action.NOOP, 9)


def test_merge_needs_a_rule():
    with pytest.raises(ValueError, match="merge function"):
        decide(Policy.MERGE, 1, 1, 2, 1)


# --- manual ------------------------------------------------------------------------------------------------


def test_manual_applies_when_based_on_the_latest_change():
    assert decide(Policy.MANUAL, "no", 10, "yes", 10) == FieldDecision(Action.APPLY, "yes")
    assert decide(Policy.MANUAL, "no", 10, "yes", 12) == FieldDecision(Action.APPLY, "yes")


def test_manual_conflicts_when_based_on_an_older_version():
    assert decide(Policy.MANUAL, "no", 10, "yes", 9) == FieldDecision(Action.CONFLICT, "no")


def test_manual_same_value_is_a_noop_even_when_stale():
    assert decide(Policy.MANUAL, "yes", 10, "yes", 1) == FieldDecision(Action.NOOP, "yes")


def test_manual_never_changed_field_applies():
    assert decide(Policy.MANUAL, None, None, "yes", None) == FieldDecision(Action.APPLY, "yes")


def test_manual_without_base_version_conflicts_with_a_changed_field():
    assert decide(Policy.MANUAL, "no", 4, "yes", None) == FieldDecision(Action.CONFLICT, "no")


# --- manual: a client's own earlier changes are not news to it -------------------------------------------

A, B = "client-a", "client-b"


def history(*changes: tuple[int, str | None]) -> dict:
    """The stored ``field_versions`` of one field ``f`` after ``changes`` (version, sync client)."""
    stored: dict = {}
    for version, by in changes:
        stored = recorded(stored, ["f"], version, by)
    return stored


def manual(stored: dict, base_version: int | None, author: str | None) -> Action:
    return decide(Policy.MANUAL, "old", stored.get("f"), "new", base_version, author=author).action


def test_manual_own_earlier_change_is_not_news():
    stored = history((6, A))  # A changed the field at 6, based on 5
    assert manual(stored, 5, A) is Action.APPLY, "A's second offline change, with the same base"
    assert manual(history((6, A), (7, A), (9, A)), 5, A) is Action.APPLY, "a run of A's changes"


def test_manual_another_clients_stale_change_still_conflicts():
    assert manual(history((6, A)), 5, B) is Action.CONFLICT
    assert manual(history((6, A)), 5, None) is Action.CONFLICT, "no author: as before"


def test_manual_a_change_by_someone_else_in_between_is_news():
    # A, then B, then A again with A's first base: B's change is news to A.
    stored = history((6, A), (7, B), (8, A))
    assert manual(stored, 5, A) is Action.CONFLICT
    assert manual(stored, 6, A) is Action.CONFLICT, "B's change at 7 came after A's base"
    assert manual(stored, 7, A) is Action.APPLY, "A saw B's change; only A's own came after"
    assert manual(stored, 8, B) is Action.APPLY, "based on the latest change"


def test_manual_without_base_version_applies_over_only_own_changes():
    assert manual(history((3, A), (4, A)), None, A) is Action.APPLY
    assert manual(history((3, B), (4, A)), None, A) is Action.CONFLICT


def test_field_versions_stored_before_authors_were_kept_still_decide():
    # A bare version: its author is unknown, so a stale base conflicts for everyone, as it always did.
    assert manual({"f": 6}, 5, A) is Action.CONFLICT
    assert manual({"f": 6}, 6, A) is Action.APPLY
    # The first change after it starts A's run from that version.
    stored = recorded({"f": 6}, ["f"], 7, A)
    assert stored == {"f": {"version": 7, "by": A, "since": 6}}
    assert manual(stored, 6, A) is Action.APPLY
    assert manual(stored, 5, A) is Action.CONFLICT


def test_field_change_stored_forms():
    assert recorded({}, ["f"], 2, None) == {"f": 2}, "without an author the old form is kept"
    assert recorded({"g": 1}, ["f"], 2, A) == {"g": 1, "f": {"version": 2, "by": A, "since": 0}}
    assert FieldChange.load({"version": 2, "by": A, "since": 0}) == FieldChange(2, A, 0)
    assert FieldChange.load(5) == FieldChange(5) and FieldChange.load(None) is None


def test_plan_passes_the_author_to_manual_fields(client_policy):
    stored = recorded({}, ["consent"], 6, A)
    plan = client_policy.plan({"consent": "no"}, {"consent": "yes"}, stored, base_version=5, author=A)
    assert plan.updates == {"consent": "yes"}
    plan = client_policy.plan({"consent": "no"}, {"consent": "yes"}, stored, base_version=5, author=B)
    assert plan.conflicts == {"consent": ("no", "yes")}


# --- registry and plans --------------------------------------------------------------------------------------


@pytest.fixture
def registry():
    return PolicyRegistry()


@pytest.fixture
def client_policy(registry):
    return record_policies(
        "client",
        {
            "phone": Policy.LWW,
            "notes": Policy.APPEND,
            "consent": Policy.MANUAL,
            "queue_rank": Policy.SERVER,
            "visits": Policy.MERGE,
        },
        merges={"visits": max},
        registry=registry,
    )


def test_registry_lookup(registry, client_policy):
    assert "client" in registry
    assert registry.get("client") is client_policy
    assert client_policy.policy("consent") is Policy.MANUAL
    assert list(registry) == [client_policy]


def test_unknown_field_has_no_policy(client_policy):
    with pytest.raises(UnknownField, match=r"client\.shoe_size"):
        client_policy.policy("shoe_size")


def test_policies_accept_their_string_values(registry):
    policy = record_policies("unit", {"name": "lww"}, registry=registry)
    assert policy.policy("name") is Policy.LWW


def test_registering_twice_the_same_way_is_allowed(registry, client_policy):
    again = record_policies("client", dict(client_policy.fields), merges={"visits": max}, registry=registry)
    assert again.fields == client_policy.fields


def test_registering_twice_differently_fails(registry, client_policy):
    with pytest.raises(ValueError, match="already registered"):
        record_policies("client", {"phone": Policy.MANUAL}, registry=registry)


def test_merge_fields_need_a_rule(registry):
    with pytest.raises(ValueError, match="visits"):
        record_policies("stay", {"visits": Policy.MERGE}, registry=registry)


def test_plan_sorts_every_change(client_policy):
    current = {"phone": "1", "notes": ["a"], "consent": "no", "queue_rank": 3, "visits": 4}
    field_versions = {"phone": 20, "notes": 20, "consent": 20, "queue_rank": 20, "visits": 20}
    changes = {
        "phone": "2",
        "notes": ["b"],
        "consent": "yes",
        "queue_rank": 1,
        "visits": 2,
        "shoe_size": 44,
    }
    plan = client_policy.plan(current, changes, field_versions, base_version=10)
    assert plan.updates == {"phone": "2", "notes": ["a", "b"]}
    assert plan.conflicts == {"consent": ("no", "yes")}
    assert plan.refused == ["queue_rank"]
    assert plan.unknown == ["shoe_size"]
    assert plan.noop == ["visits"]
    assert not plan.valid


def test_plan_of_a_clean_update_is_valid(client_policy):
    plan = client_policy.plan({"consent": "no"}, {"consent": "yes"}, {"consent": 5}, base_version=5)
    assert plan.valid
    assert plan.updates == {"consent": "yes"}
    assert not plan.conflicts
