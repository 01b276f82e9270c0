"""The suppression audit (`server.suppression.disclosed`) reduces independent groups of equations with
sparse rows; it must find exactly the cells one dense elimination of the whole table finds."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from server.suppression import Relation, disclosed

CELLS = [f"c{n}" for n in range(24)]


def dense_disclosed(relations: list[Relation], hidden: set[str]) -> set[str]:
    """The reference: one dense reduced row echelon form over every hidden cell, with exact fractions."""
    unknowns = sorted(hidden)
    column = {key: n for n, key in enumerate(unknowns)}
    rows = []
    for relation in relations:
        row = [Fraction(0)] * len(unknowns)
        if relation.total in column:
            row[column[relation.total]] += 1
        for part in relation.parts:
            if part in column:
                row[column[part]] -= 1
        if any(row):
            rows.append(row)
    top, found = 0, set()
    pivots = {}
    for col in range(len(unknowns)):
        pick = next((r for r in range(top, len(rows)) if rows[r][col] != 0), None)
        if pick is None:
            continue
        rows[top], rows[pick] = rows[pick], rows[top]
        rows[top] = [v / rows[top][col] for v in rows[top]]
        for r in range(len(rows)):
            if r != top and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[top], strict=True)]
        pivots[top] = col
        top += 1
    for r, col in pivots.items():
        if all(v == 0 for n, v in enumerate(rows[r]) if n != col):
            found.add(unknowns[col])
    return found


relation = st.builds(
    lambda total, parts: Relation(total, tuple(parts)),
    st.sampled_from(CELLS),
    st.lists(st.sampled_from(CELLS), min_size=1, max_size=6, unique=True),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(relation, min_size=1, max_size=14), st.sets(st.sampled_from(CELLS), min_size=1))
def test_grouped_sparse_audit_matches_one_dense_elimination(relations, hidden):
    assert disclosed(relations, hidden) == dense_disclosed(relations, hidden)


def test_a_lone_hidden_part_is_disclosed_and_two_are_not():
    region = Relation("region", ("a", "b", "c"))
    assert disclosed([region], {"a"}) == {"a"}
    assert disclosed([region], {"a", "b"}) == set()
    # Two tables that share cells: hidden in one, pinned down through the other.
    other = Relation("b_total", ("b",))
    assert disclosed([region, other], {"a", "b"}) == {"a", "b"}
