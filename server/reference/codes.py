"""Code-list checks for mutations: a code must be active in its list (protocol §8, `invalid_code`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from server.reference.models import CodeList

if TYPE_CHECKING:  # the sync engine sits above reference data and hands its context in
    from server.sync.mutations import MutationContext


async def require_code(ctx: MutationContext, list_id: str, *codes: str | Iterable[str]) -> None:
    active = await ctx.cached(("active_codes", list_id), lambda: _active_codes(ctx, list_id))
    for value in codes:
        for code in [value] if isinstance(value, str) else value:
            if code not in active:
                ctx.reject(
                    "invalid_code",
                    f"{code!r} is not an active code of {list_id}.",
                    {"list": list_id, "code": code},
                )


async def _active_codes(ctx: MutationContext, list_id: str) -> set[str]:
    """Once per push and list: a batch of contacts checks the same five lists a hundred times."""
    code_list = await ctx.session.get(CodeList, list_id)
    return code_list.active_codes() if code_list else set()
