"""Secrets generated on first start into the data directory (0600), or taken from the environment.

No secret ever lives in the repository: a fresh data directory gets fresh keys.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

# Every secret Kaari generates into the data directory (`kaari backup` copies them): the access-token
# signing key (server.app) and the Web Push VAPID key (notifications.vapid).
GENERATED_SECRETS = ("token-secret", "vapid-private-key")
# The settings that replace them; when set, the operator keeps the value (a backup only names them).
SECRET_SETTINGS = {"token-secret": "KAARI_TOKEN_SECRET", "vapid-private-key": "KAARI_VAPID_PRIVATE_KEY"}


def ensure_data_dir(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)


def read_or_create_secret(
    data_dir: Path, name: str, nbytes: int = 32, generate: Callable[[], str] | None = None
) -> str:
    """Return the secret stored in `data_dir/name`, creating it atomically with 0600 on first use
    (`generate()`, or `nbytes` random bytes as URL-safe text)."""
    ensure_data_dir(data_dir)
    path = data_dir / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = generate() if generate is not None else secrets.token_urlsafe(nbytes)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    try:
        # link() fails if another process won the race; then theirs is the secret.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
