"""Password hashing with Argon2id (memory-hard). Verification runs in a thread: it is deliberately slow."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=4)
def hasher(time_cost: int = 3, memory_kib: int = 65536) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password: str, ph: PasswordHasher) -> str:
    return ph.hash(password)


def _verify(ph: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(ph: PasswordHasher, stored: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time on a dummy so timing says nothing."""
    target = stored if stored is not None else _dummy_hash(ph)
    ok = await asyncio.to_thread(_verify, ph, target, password)
    return ok and stored is not None


@lru_cache(maxsize=4)
def _dummy_hash_for(ph_id: int, ph: PasswordHasher) -> str:
    return ph.hash("not a real password")


def _dummy_hash(ph: PasswordHasher) -> str:
    return _dummy_hash_for(id(ph), ph)
