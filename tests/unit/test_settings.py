"""Settings and secrets: safe defaults, the environment wins, secrets are generated once with 0600."""

from __future__ import annotations

import pytest

from server.keys import read_or_create_secret
from server.settings import Settings


def test_defaults_are_single_node_sqlite_under_the_data_dir(tmp_path):
    settings = Settings.from_env({"KAARI_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'kaari.sqlite3'}"
    assert settings.redis_url is None and settings.port == 8000 and settings.host == "127.0.0.1"
    assert settings.access_token_seconds <= 15 * 60


def test_postgres_urls_are_normalised_to_asyncpg(tmp_path):
    for url in ("postgres://u@h/db", "postgresql://u@h/db"):
        assert Settings.from_env({"DATABASE_URL": url}).database_url == "postgresql+asyncpg://u@h/db"


def test_secret_is_created_once_with_owner_only_permissions(tmp_path):
    first = read_or_create_secret(tmp_path / "data", "token-secret")
    again = read_or_create_secret(tmp_path / "data", "token-secret")
    assert first == again and len(first) >= 40
    assert (tmp_path / "data" / "token-secret").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700


def test_token_secret_from_environment_wins(tmp_path):
    settings = Settings.from_env({"KAARI_DATA_DIR": str(tmp_path), "KAARI_TOKEN_SECRET": "from-env"})
    assert settings.token_secret == "from-env"


def test_first_start_generates_the_token_secret(tmp_path):
    from server.app import create_app

    settings = Settings.from_env({"KAARI_DATA_DIR": str(tmp_path / "var")})
    create_app(settings, configure_logs=False)
    secret = tmp_path / "var" / "token-secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    first = secret.read_text()
    create_app(settings, configure_logs=False)
    assert secret.read_text() == first


def test_refresh_grace_window_defaults_to_a_minute_and_refuses_what_is_not_whole_seconds(tmp_path):
    assert Settings.from_env({}).refresh_grace_seconds == 60
    assert Settings.from_env({"KAARI_REFRESH_GRACE_SECONDS": "0"}).refresh_grace_seconds == 0
    for bad in ("-5", "1.5", "a minute"):
        with pytest.raises(ValueError, match="KAARI_REFRESH_GRACE_SECONDS must be a whole number of seconds"):
            Settings.from_env({"KAARI_REFRESH_GRACE_SECONDS": bad})
