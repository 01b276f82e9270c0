"""Users, role assignments and sign-in sessions.

A role assignment is scoped: to the whole region (no area, no unit), to one area, or to one unit. What a
user may see and do follows from these rows (STM decree 825/2022: access follows task and service).
A sign-in session is one refresh-token family; its tokens rotate, and reuse of a spent one revokes it
(unless it is a lost response retried within the grace window: see `service.refresh`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, new_id, utcnow

Role = Literal["admin", "coordinator", "counsellor", "supervisor", "unit_staff"]
ROLES: tuple[str, ...] = ("admin", "coordinator", "counsellor", "supervisor", "unit_staff")
# The guidance side: a counsellor works with clients of their areas; a supervisor (*ohjauksen esihenkilö*)
# leads the counsellors of their areas (or the region): sees what they see, their worklists and statistics,
# and hands processes over, but is never itself a handler or the responsible counsellor.
GUIDANCE_ROLES: tuple[str, ...] = ("counsellor", "supervisor")
# Roles that must name a unit or an area: without one, unit staff would see every unit of the region.
SCOPED_ROLES: tuple[str, ...] = ("unit_staff",)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2), default="fi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint("area_id IS NULL OR unit_id IS NULL", name="one_scope"),
        CheckConstraint(
            "role NOT IN ('unit_staff') OR area_id IS NOT NULL OR unit_id IS NOT NULL", name="scoped_role"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    area_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id"))

    user: Mapped[User] = relationship(back_populates="roles")


class AuthSession(Base):
    """One sign-in of one user on one device: the refresh-token family."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    # The token issued when this one was spent (the newest, after a lost response was retried); none for one
    # not spent yet, and for a successor superseded by such a retry.
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refresh_tokens.id"))


class LoginFailure(Base):
    """A failed sign-in (or enrolment) attempt, kept for the rate limit's window."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
