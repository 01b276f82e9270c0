"""Taking a county over: import from the five regional client-management systems (SBM exports).

`csv_reader` reads an export file as a stream; `mapping` turns each system's labels into Kaari's codes;
`importer` brings a folder in with set-based inserts and writes the `report`; `demo_exports` generates
county-scale exports with the faults real ones have. The operator's procedure is `docs/import.md`.
"""
