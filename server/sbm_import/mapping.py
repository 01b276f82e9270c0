"""Turning a system's labels into Kaari's codes and reference ids, never by guessing.

A value is accepted when it is Kaari's code, the Finnish or Swedish label of that code (case and spaces
ignored), or a label the system's mapping file (`mappings/{system}.toml`, plus `mappings/common.toml` for
what every system shares, such as the old names of merged municipalities) maps to a code. Anything else
refuses its row, and the report names the label so that someone can map it and run again.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.reference.models import Area, CodeList, Municipality, ServicePoint, Unit
from server.sbm_import.texts import t

SYSTEMS = ("kallio", "raahe", "oulu", "kuusamo", "selanne")
SYSTEM_NAMES = {
    "kallio": "Kallio",
    "raahe": "Raahe",
    "oulu": "Oulu",
    "kuusamo": "Kuusamo",
    "selanne": "Selänne",
}
MAPPINGS_DIR = Path(__file__).parent / "mappings"

# Kaari's code lists whose labels an export may use, and the reference tables matched by name or code.
CODE_LISTS = (
    "contact.channel",
    "contact.caller_type",
    "contact.contact_type",
    "contact.topics",
    "contact.resolution",
    "referral.service_kind",
    "referral.urgency",
    "referral.source",
)
LANGUAGES = {
    "suomi": "fi",
    "ruotsi": "sv",
    "svenska": "sv",
    "finska": "fi",
    "fi": "fi",
    "sv": "sv",
    "muu": None,
}


class UnknownLabel(ValueError):
    def __init__(self, kind: str, label: str) -> None:
        self.text = t("unknown_label", kind=kind, label=label)
        super().__init__(str(self.text))
        self.kind = kind
        self.label = label


def _key(label: str) -> str:
    return " ".join(label.split()).casefold()


@dataclass
class Vocabulary:
    """Everything one system's labels can mean: `resolve(kind, label)` → code or id."""

    system: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resolve(self, kind: str, label: str) -> Any:
        found = self.tables.get(kind, {}).get(_key(label))
        if found is None:
            raise UnknownLabel(kind, label)
        return found

    def add(self, kind: str, label: str, value: Any) -> None:
        self.tables.setdefault(kind, {})[_key(label)] = value


def read_mapping_file(path: Path) -> dict[str, dict[str, str]]:
    """A mapping file: one TOML table per kind, `"their label" = "Kaari's code"`."""
    with path.open("rb") as stream:
        data = tomllib.load(stream)
    return {kind: {str(k): str(v) for k, v in labels.items()} for kind, labels in data.items()}


async def load_vocabulary(session: AsyncSession, system: str) -> Vocabulary:
    vocabulary = Vocabulary(system)
    for code_list in (await session.scalars(select(CodeList).where(CodeList.id.in_(CODE_LISTS)))).all():
        for entry in code_list.codes:
            if not entry.get("active", True):
                continue
            vocabulary.add(code_list.id, entry["code"], entry["code"])
            for language in ("fi", "sv"):
                vocabulary.add(code_list.id, entry["labels"][language], entry["code"])
    references: dict[str, dict[str, uuid.UUID]] = {}
    for kind, model in (("area", Area), ("municipality", Municipality), ("service_point", ServicePoint)):
        for row in (await session.scalars(select(model))).all():
            by_code = references.setdefault(kind, {})
            by_code[row.code] = row.id
            for label in (row.code, row.labels["fi"], row.labels["sv"]):
                vocabulary.add(kind, label, row.id)
    for unit in (await session.scalars(select(Unit))).all():
        references.setdefault("unit", {})[unit.code] = unit.id
        for label in (unit.code, unit.labels["fi"], unit.labels["sv"]):
            vocabulary.add("unit", label, unit.id)
    for language, code in LANGUAGES.items():
        vocabulary.add("language", language, code or "")
    for name in ("common", system):
        path = MAPPINGS_DIR / f"{name}.toml"
        if not path.exists():
            continue
        for kind, labels in read_mapping_file(path).items():
            for label, target in labels.items():
                if kind in references:
                    if target not in references[kind]:
                        raise ValueError(f"{path.name}: [{kind}] {label!r} maps to unknown {kind} {target!r}")
                    vocabulary.add(kind, label, references[kind][target])
                elif kind in vocabulary.tables:
                    if _key(target) not in vocabulary.tables[kind]:
                        raise ValueError(f"{path.name}: [{kind}] {label!r} maps to unknown code {target!r}")
                    vocabulary.add(kind, label, vocabulary.tables[kind][_key(target)])
                else:
                    raise ValueError(f"{path.name}: unknown table [{kind}]")
    return vocabulary
