"""Binding a replica's `client_id` to its (device, user), and who acts for it (protocol §2)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.principal import Principal, grants_of, on_device
from server.errors import Forbidden
from server.signals import SignedOut
from server.sync.models import Replica


async def bind_replica(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, *, create: bool
) -> Replica | None:
    """The client row for `client_id`, created on first use by a signed-in user.

    A client belongs to one (device, user) pair for life; anyone else presenting its id is refused. A
    device credential alone may act for clients already registered to that device.
    """
    client = await session.get(Replica, client_id, with_for_update=create)
    if client is None:
        if principal.user_id is None or not create:
            if principal.user_id is None:
                raise Forbidden("This client is not registered to this device.", code="client_mismatch")
            return None
        client = Replica(id=client_id, device_id=principal.device_id, user_id=principal.user_id, last_seq=0)
        session.add(client)
        await session.flush()
        return client
    if client.device_id != principal.device_id or (
        principal.user_id is not None and client.user_id != principal.user_id
    ):
        raise Forbidden("This client_id belongs to another device or user.", code="client_mismatch")
    return client


async def author_of(session: AsyncSession, principal: Principal, client: Replica) -> Principal:
    """Who the client's mutations are attributed to and authorised as: always the client's own user."""
    if principal.user_id == client.user_id:
        return principal
    user = (await session.execute(select(User).where(User.id == client.user_id))).scalar_one()
    return Principal(
        device_id=principal.device_id,
        device_kind=principal.device_kind,
        device_unit_id=principal.device_unit_id,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        grants=on_device(grants_of(user.roles), principal.device_kind, principal.device_unit_id)
        if user.active
        else (),
    )


async def record_sign_out(session: AsyncSession, signal: SignedOut, now: datetime) -> None:
    """The sign-out's bound on each of the user's replicas on the device (protocol §2): the device
    credential may push their mutations up to it and no further. Never below what was already pushed."""
    if not signal.queued:
        return
    rows = await session.execute(
        select(Replica).where(
            Replica.id.in_(sorted(signal.queued)),
            Replica.device_id == signal.device_id,
            Replica.user_id == signal.user_id,
        )
    )
    for replica in rows.scalars():
        replica.signed_out_seq = max(signal.queued[replica.id], replica.last_seq)
