"""Conflicts: contested `manual` fields kept with both values until a person resolves them (protocol §6)."""
