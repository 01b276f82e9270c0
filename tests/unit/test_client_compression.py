"""The reference client asks for compressed answers and reads them (pull pages are gzipped by the server)."""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime

import httpx
import msgspec

from sync_protocol.client.auth import Credentials
from sync_protocol.client.transport import Transport
from sync_protocol.messages import PULL_PATH, PullRequest, PullResponse

ANSWER = PullResponse(cookie="c" * 40, last_seq=0, server_time=datetime(2026, 1, 1, tzinfo=UTC))


async def _post(http_headers: dict[str, str] | None = None) -> tuple[httpx.Request, PullResponse]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = gzip.compress(msgspec.json.encode(ANSWER))
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return httpx.Response(200, content=body, headers=headers)

    http = httpx.AsyncClient(base_url="http://kaari.test", transport=httpx.MockTransport(handler))
    if http_headers is not None:
        http.headers.clear()
        http.headers.update(http_headers)
    async with http:
        transport = Transport(http, Credentials(access_token="t"))
        answer = await transport.post(
            PULL_PATH, PullRequest(protocol=1, client_id=uuid.uuid4()), PullResponse
        )
    return seen[0], answer


async def test_pull_accepts_gzip_and_decodes_it():
    request, answer = await _post()
    assert "gzip" in request.headers["accept-encoding"]
    assert answer == ANSWER


async def test_gzip_is_asked_for_even_when_the_http_client_sets_no_accept_encoding():
    request, answer = await _post({})
    assert request.headers["accept-encoding"] == "gzip"
    assert answer == ANSWER


async def test_an_explicit_choice_on_the_http_client_is_kept():
    request, _ = await _post({"accept-encoding": "identity"})
    assert request.headers["accept-encoding"] == "identity"
