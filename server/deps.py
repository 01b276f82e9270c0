"""Named dependencies every route may take: the database session, the caller, the app context."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.context import AppContext

DbSession: TypeAlias = NamedDependency[AsyncSession]
CurrentPrincipal: TypeAlias = NamedDependency[Principal]
Context: TypeAlias = NamedDependency[AppContext]
