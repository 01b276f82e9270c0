"""The mutation catalog: which named, versioned mutations exist and what their arguments are.

A domain module declares each mutation with its own args :class:`msgspec.Struct`::

    catalog.register(MutationSpec(
        name="attendance.check_in", version=1, args=CheckInArgs,
        description="Check a client in", capacity_taking=False,
    ))

When a mutation arrives, :meth:`Catalog.lookup` upcasts its ``args`` from the version the device sent to
the current one (one upcaster per older version, applied in a chain: v1 -> v2 -> v3) and converts them to
the args Struct. Arguments arrive as dicts decoded from JSON (dates, times and UUIDs as strings) or from
MessagePack (the same strings, or timestamps for times): :func:`msgspec.convert` accepts both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import msgspec

__all__ = ["MAX_ARGS_DEPTH", "Catalog", "InvalidArgs", "MutationSpec", "UnknownMutation", "Upcaster"]

MAX_ARGS_DEPTH = 16
"""Objects and arrays nest at most this deep in a mutation's args (the deepest catalog args use 4)."""
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
"""Every date and time in args falls between these: a year-1 check-in is a device's bug, not a visit.
Integers in args fit 32 bits (the columns they land in)."""

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the args of version ``v`` into the args of version ``v + 1``."""


class UnknownMutation(LookupError):
    """No such mutation name, or a version the server cannot upcast (``unknown_mutation``)."""

    code = "unknown_mutation"

    def __init__(self, name: str, version: int, reason: str) -> None:
        super().__init__(f"unknown mutation {name} v{version}: {reason}")
        self.name = name
        self.version = version


class InvalidArgs(ValueError):
    """The arguments do not match the mutation's args Struct (``invalid_args``).

    ``path`` locates the offending value (``$`` is the args object itself, ``$.entries[0].at`` a nested
    one); ``reason`` is msgspec's message without the path.
    """

    code = "invalid_args"

    def __init__(self, name: str, version: int, reason: str, path: str = "$") -> None:
        where = "" if path == "$" else f" at {path}"
        super().__init__(f"invalid arguments for {name} v{version}{where}: {reason}")
        self.name = name
        self.version = version
        self.reason = reason
        self.path = path

    @property
    def details(self) -> dict[str, str]:
        """For an ``ErrorBody``/rejection's ``details``."""
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class MutationSpec:
    """One mutation in its current ``version``.

    ``upcasters`` maps each older version still accepted to the function lifting its args one version up.
    ``capacity_taking`` marks mutations that take a place (run under the unit's capacity lock; shown
    "pending confirmation" offline). ``handler`` is opaque to the protocol: the server's executor may keep
    the function that runs the mutation here.
    """

    name: str
    version: int
    args: type[msgspec.Struct]
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)
    description: str = ""
    capacity_taking: bool = False
    handler: Any = None

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError(f"{self.name}: versions start at 1")
        bad = [v for v in self.upcasters if not 1 <= v < self.version]
        if bad:
            raise ValueError(f"{self.name}: upcasters must be for versions 1..{self.version - 1}, got {bad}")

    def upcast(self, version: int, args: dict[str, Any]) -> dict[str, Any]:
        """Lift ``args`` from ``version`` to :attr:`version`; :class:`UnknownMutation` if impossible."""
        if version == self.version:
            return args
        if not 1 <= version < self.version:
            raise UnknownMutation(self.name, version, f"the current version is {self.version}")
        for v in range(version, self.version):
            upcaster = self.upcasters.get(v)
            if upcaster is None:
                raise UnknownMutation(self.name, version, f"no upcaster from v{v} to v{v + 1}")
            try:
                args = upcaster(dict(args))
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidArgs(self.name, version, f"cannot upcast from v{v}: {exc}") from exc
        return args

    def convert(self, args: Any, version: int | None = None) -> msgspec.Struct:
        """Convert already-upcast ``args`` to the args Struct; :class:`InvalidArgs` if they do not fit."""
        version = self.version if version is None else version
        if not isinstance(args, Mapping):
            raise InvalidArgs(self.name, version, f"expected an object, got {type(args).__name__}")
        # Before conversion: a NUL byte or a nesting no args need is refused whatever the field's type
        # (PostgreSQL cannot store NUL in text; SQLite can, so only checking here keeps the engines alike).
        problem = _raw_problem(args, 1, "$")
        if problem is not None:
            raise InvalidArgs(self.name, version, *problem)
        try:
            converted = msgspec.convert(dict(args), self.args)
        except msgspec.ValidationError as exc:
            reason, _, path = str(exc).partition(" - at `")
            raise InvalidArgs(self.name, version, reason, path.rstrip("`") or "$") from exc
        problem = _bounds_problem(converted, "$")
        if problem is not None:
            raise InvalidArgs(self.name, version, *problem)
        return converted

    def args_schema(self) -> dict[str, Any]:
        """The JSON Schema of the current args."""
        return msgspec.json.schema(self.args)


def _raw_problem(value: Any, depth: int, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        return ("NUL characters are not allowed", path) if "\x00" in value else None
    if isinstance(value, Mapping):
        if depth > MAX_ARGS_DEPTH:
            return (f"nested deeper than {MAX_ARGS_DEPTH} levels", path)
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return ("NUL characters are not allowed", path)
            found = _raw_problem(item, depth + 1, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        if depth > MAX_ARGS_DEPTH:
            return (f"nested deeper than {MAX_ARGS_DEPTH} levels", path)
        for index, item in enumerate(value):
            found = _raw_problem(item, depth + 1, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _bounds_problem(value: Any, path: str) -> tuple[str, str] | None:
    """A date or time outside the sane window, or an integer no column can store (32-bit signed)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not -(2**31) <= value < 2**31:
            return ("integers must fit 32 bits", path)
    elif isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST <= day <= LATEST:
            return (f"dates must fall between {EARLIEST} and {LATEST}", path)
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            found = _bounds_problem(getattr(value, name), f"{path}.{name}")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _bounds_problem(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _bounds_problem(item, f"{path}.{key}")
            if found is not None:
                return found
    return None


class Catalog:
    """Name -> :class:`MutationSpec` registry."""

    def __init__(self, specs: list[MutationSpec] | None = None) -> None:
        self._specs: dict[str, MutationSpec] = {}
        for spec in specs or ():
            self.register(spec)

    def register(self, spec: MutationSpec) -> MutationSpec:
        """Add ``spec``; a name can be registered once."""
        if spec.name in self._specs:
            raise ValueError(f"mutation {spec.name!r} is already registered")
        self._specs[spec.name] = spec
        return spec

    def mutation(
        self,
        name: str,
        *,
        version: int = 1,
        args: type[msgspec.Struct],
        upcasters: Mapping[int, Upcaster] | None = None,
        description: str = "",
        capacity_taking: bool = False,
    ) -> Callable[[Any], Any]:
        """Decorator form of :meth:`register`: the decorated function becomes the spec's ``handler``."""

        def decorate(handler: Any) -> Any:
            doc = description or (handler.__doc__ or "").strip().split("\n")[0]
            self.register(
                MutationSpec(name, version, args, dict(upcasters or {}), doc, capacity_taking, handler)
            )
            return handler

        return decorate

    def get(self, name: str) -> MutationSpec | None:
        return self._specs.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[MutationSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def __len__(self) -> int:
        return len(self._specs)

    def lookup(self, name: str, version: int, args: Any) -> tuple[MutationSpec, msgspec.Struct]:
        """The spec of ``name`` and ``args`` upcast from ``version`` and converted to its args Struct.

        Raises :class:`UnknownMutation` (unknown name, or a version that cannot be upcast) or
        :class:`InvalidArgs`.
        """
        spec = self._specs.get(name)
        if spec is None:
            raise UnknownMutation(name, version, "no such mutation")
        if not isinstance(args, Mapping):
            raise InvalidArgs(name, version, f"expected an object, got {type(args).__name__}")
        return spec, spec.convert(spec.upcast(version, dict(args)), version)

    def describe(self) -> dict[str, Any]:
        """The body of ``GET /api/sync/v1/catalog``: ``{"mutations": [{"name", "version", "args_schema"}]}``
        (plus ``description`` and ``capacity_taking``), sorted by name."""
        return {
            "mutations": [
                {
                    "name": spec.name,
                    "version": spec.version,
                    "args_schema": spec.args_schema(),
                    "description": spec.description,
                    "capacity_taking": spec.capacity_taking,
                }
                for spec in self
            ]
        }
