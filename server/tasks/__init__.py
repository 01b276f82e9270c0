"""Tasks: work assigned to a named role in a unit or area (follow-ups, reconciliation findings)."""
