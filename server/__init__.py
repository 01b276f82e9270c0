"""Kaari server: the Litestar app, its settings, database and domain modules."""
