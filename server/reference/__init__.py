"""Reference data: areas, municipalities, units, service points and code lists (the `ref` scope)."""
