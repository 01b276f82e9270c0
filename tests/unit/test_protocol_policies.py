"""Field policies (§6): every decision of ``decide`` and the declarative registry."""

import pytest

from sync_protocol.policies import (
    Action,
    FieldDecision,
    Policy,
    PolicyRegistry,
    UnknownField,
    decide,
    record_policies,
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
