"""Small-count suppression for shared statistics, the way statistics offices do it (pure: no I/O).

A published table is a set of cells (keyed by any hashable) and the sums that hold between them
(`Relation`: a total and its parts, e.g. an area's clients = the sum over its units).

- **Primary suppression**: a count of 1-4 people is hidden (`SMALL` = 5). A zero is published: it says
  nothing about any person. Figures derived from a group (a mean, a median, an occupancy rate, a count of
  the group's members over some limit) are hidden whenever the group's own count is.
- **Secondary suppression**: a hidden cell must not be recoverable from what is published. `protect`
  first applies the classic rule on every relation until nothing changes — a relation never has exactly
  one hidden cell (if a single part is hidden, the smallest non-zero published part is hidden too, or the
  total when there is none; a hidden total with every part published gets one part hidden) — and then
  audits the result exactly: a hidden cell is disclosed if the published cells and the relations
  determine its value (its unit vector lies in the row space of the relations over the hidden cells,
  computed with exact fractions). Any disclosed cell gets one more complement and the audit runs again.
- Suppression is always computed on the whole region's table and only then filtered to what a caller
  asked for or may see, so two differently filtered views never hide different cells of the same figure
  (comparing them would undo the protection).

Ties are broken by the cell key, so the same data always gives the same hidden cells.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

SMALL = 5
"""Counts of 1..SMALL-1 people are never published."""

SUPPRESSED_CSV = ".."
"""What a hidden cell shows in CSV (the symbol Statistics Finland uses for confidential cells)."""


@dataclass(frozen=True, slots=True)
class Relation:
    """`total` = the sum of `parts` (a table's row, column or hierarchy sum)."""

    total: Hashable
    parts: tuple[Hashable, ...]


def is_small(count: int) -> bool:
    return 0 < count < SMALL


def primary(counts: Mapping[Hashable, int]) -> set[Hashable]:
    """The cells whose count of people is 1-4."""
    return {key for key, count in counts.items() if is_small(count)}


def _order(values: Mapping[Hashable, float], key: Hashable) -> tuple[float, str]:
    return (values[key], repr(key))


def _complement(
    values: Mapping[Hashable, float], hidden: set[Hashable], candidates: Iterable[Hashable]
) -> Hashable | None:
    """The smallest published non-zero cell among `candidates`."""
    found = sorted(
        (k for k in candidates if k not in hidden and values[k] != 0), key=lambda k: _order(values, k)
    )
    return found[0] if found else None


def _singleton_pass(
    values: Mapping[Hashable, float], relations: Sequence[Relation], hidden: set[Hashable]
) -> bool:
    changed = False
    for relation in relations:
        hidden_parts = [p for p in relation.parts if p in hidden]
        total_hidden = relation.total in hidden
        if len(hidden_parts) == 1 and not total_hidden:
            extra = _complement(values, hidden, relation.parts)
            hidden.add(extra if extra is not None else relation.total)
            changed = True
        elif total_hidden and not hidden_parts and relation.parts:
            extra = _complement(values, hidden, relation.parts)
            if extra is None:  # every part is zero: the total is zero and known anyway
                continue
            hidden.add(extra)
            changed = True
    return changed


def disclosed(relations: Sequence[Relation], hidden: set[Hashable]) -> set[Hashable]:
    """The hidden cells whose value the published cells and the relations determine exactly."""
    unknowns = sorted(hidden, key=repr)
    column = {key: n for n, key in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for relation in relations:
        row = [Fraction(0)] * len(unknowns)
        if relation.total in column:
            row[column[relation.total]] += 1
        for part in relation.parts:
            if part in column:
                row[column[part]] -= 1
        if any(row):
            rows.append(row)
    pivots = _reduce(rows, len(unknowns))
    return {
        unknowns[col]
        for row_index, col in pivots.items()
        if all(value == 0 for n, value in enumerate(rows[row_index]) if n != col)
    }


def _reduce(rows: list[list[Fraction]], width: int) -> dict[int, int]:
    """Reduced row echelon form in place; returns {row index: pivot column}."""
    pivots: dict[int, int] = {}
    top = 0
    for col in range(width):
        found = next((r for r in range(top, len(rows)) if rows[r][col] != 0), None)
        if found is None:
            continue
        rows[top], rows[found] = rows[found], rows[top]
        lead = rows[top][col]
        rows[top] = [value / lead for value in rows[top]]
        for r in range(len(rows)):
            if r != top and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[top], strict=True)]
        pivots[top] = col
        top += 1
    return pivots


def protect(
    values: Mapping[Hashable, float], relations: Sequence[Relation], hidden: Iterable[Hashable]
) -> set[Hashable]:
    """Every cell to hide: `hidden` (primary, or forced) plus the complements that keep them hidden.

    `values` are the published values (used to pick complements: small non-zero cells first).
    """
    result = set(hidden)
    while True:
        while _singleton_pass(values, relations, result):
            pass
        exposed = disclosed(relations, result)
        if not exposed:
            return result
        before = len(result)
        for key in sorted(exposed, key=repr):
            touching = [r for r in relations if key == r.total or key in r.parts]
            cells = [c for r in touching for c in (r.total, *r.parts)]
            extra = _complement(values, result, cells)
            if extra is None:
                extra = next((c for c in sorted(cells, key=repr) if c not in result), None)
            if extra is not None:
                result.add(extra)
                break
        if len(result) == before:  # nothing left to hide around it: cannot happen with real sums
            return result
