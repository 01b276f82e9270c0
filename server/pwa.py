"""Serve the built PWA (`pwa_shell/dist`) at `/`, with an `index.html` fallback for deep links.

`sw.js` and `index.html` are served `no-cache` so a new release is seen on the next visit; hashed
assets are immutable. Unknown `/api/...` paths stay JSON 404s.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from litestar import Response, get
from litestar.params import FromPath
from litestar.response import File

from server.errors import NotFound

DIST = Path(__file__).resolve().parent.parent / "pwa_shell" / "dist"
NO_CACHE = {"Cache-Control": "no-cache"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


def _file(path: Path, headers: dict[str, str]) -> File:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return File(path, media_type=media_type, headers=headers, content_disposition_type="inline")


def _resolve(relative: str) -> Path | None:
    if "\x00" in relative:  # no file has one; the file system would refuse the name with a ValueError
        return None
    candidate = (DIST / relative).resolve()
    if DIST in candidate.parents and candidate.is_file():
        return candidate
    return None


@get(["/", "/{path:path}"], include_in_schema=False, sync_to_thread=False)
def pwa(path: FromPath[str] = "") -> File | Response[str]:
    relative = path.lstrip("/")
    if relative.startswith(("api/", "api")) and (relative == "api" or relative.startswith("api/")):
        raise NotFound("No such API route.")
    found = _resolve(relative) if relative else None
    if found is not None:
        hashed = found.parent.name == "assets"
        return _file(found, IMMUTABLE if hashed else NO_CACHE)
    index = DIST / "index.html"
    if not index.is_file():
        return Response(
            "Kaari's app has not been built yet: run `make run` (or `make pwa`).",
            media_type="text/plain",
            status_code=503,
        )
    return _file(index, NO_CACHE)
