"""The import contract's own type: domain → domain imports only where the importer's declaration says so.

`lint-imports` (run by `make test`, configured in `pyproject.toml`) checks with this contract that:

- a platform package (`Domain.kind == "platform"`) imports no domain and not `notifications`;
- a domain imports another domain only if that domain is in its declaration's `uses`;
- a declaration names no domain it does not import (a stale `uses` hides the real graph);
- the declared `uses` form no cycle, except the edges the contract lists in `known_cycles`, each with the
  reason it is still there.

Imports under `if TYPE_CHECKING:` do not count (the contract's `exclude_type_checking_imports`).
"""

from __future__ import annotations

import grimp
from importlinter import Contract, ContractCheck, fields, output


def _declarations() -> list:
    from server import domains

    return list(domains.load())


def _imports(graph: grimp.ImportGraph, importer: str, imported: str) -> list[str]:
    found = graph.find_matching_direct_imports(import_expression=f"{importer}.** -> {imported}.**")
    found += graph.find_matching_direct_imports(import_expression=f"{importer} -> {imported}.**")
    return sorted({f"{i['importer']} -> {i['imported']}" for i in found})


def _cycles(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges that lie on a cycle (both ends in one strongly connected component)."""
    nodes = {a for a, _ in edges} | {b for _, b in edges}
    reach = {n: {b for a, b in edges if a == n} for n in nodes}
    changed = True
    while changed:
        changed = False
        for n in nodes:
            more = set().union(*(reach[m] for m in reach[n])) - reach[n]
            if more:
                reach[n] |= more
                changed = True
    return {(a, b) for a, b in edges if a in reach[b]}


class DeclaredDomainsContract(Contract):
    type_name = "declared_domains"

    known_cycles = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        declared = _declarations()
        packages = {d.name: d.package for d in declared}
        domains = {d.name for d in declared if d.kind == "domain"}
        problems: list[str] = []
        for importer in declared:
            for name in sorted(domains - {importer.name}):
                found = _imports(graph, importer.package, packages[name])
                if importer.kind == "platform" and found:
                    problems.append(f"platform {importer.name} imports the domain {name}: {found[0]}")
                elif importer.kind == "domain" and found and name not in importer.uses:
                    problems.append(f"{importer.name} imports {name} without declaring it: {found[0]}")
            for name in importer.uses:
                if name not in domains:
                    problems.append(f"{importer.name} declares {name!r}, which is not a domain")
                elif not _imports(graph, importer.package, packages[name]):
                    problems.append(f"{importer.name} declares {name} but does not import it")
        edges = {(d.name, u) for d in declared for u in d.uses}
        known = {tuple(part.strip() for part in edge.split("->")) for edge in self.known_cycles or []}
        for a, b in sorted(_cycles(edges) - known):
            problems.append(f"{a} -> {b} closes a cycle of declared domains")
        for a, b in sorted(known - _cycles(edges)):
            problems.append(f"known_cycles lists {a} -> {b}, which no longer closes a cycle: remove it")
        return ContractCheck(kept=not problems, metadata={"problems": problems})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for problem in check.metadata["problems"]:
            output.print_error(f"- {problem}", bold=False)
            output.new_line()
