"""Which push endpoints the server will POST to (pure: no I/O).

A subscription's endpoint is a URL the browser got from its push service; the server later sends
requests to it. Accepting any URL would let a signed-in user make the server call internal addresses
(SSRF), so an endpoint must be `https://` on a known push service's host, on the default port, without
user info. The known services are the ones browsers use today; an operator adds others with
`KAARI_PUSH_SERVICE_HOSTS` (`host` exact, `*.example.com` for its subdomains). For tests only,
`KAARI_PUSH_ALLOW_LOOPBACK=1` also accepts `http://127.0.0.1:PORT/…` and `http://localhost:PORT/…`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_ENDPOINT_LENGTH = 1024
KNOWN_PUSH_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Chromium-based browsers on Android and desktop
    "android.googleapis.com",  # older Chrome subscriptions
    "updates.push.services.mozilla.com",  # Firefox
    "*.push.services.mozilla.com",
    "web.push.apple.com",  # Safari, iOS home-screen apps
    "*.push.apple.com",
    "*.notify.windows.com",  # Edge (Windows Push Notification Services)
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class EndpointRefused(ValueError):
    """The endpoint is not one the server sends to; the message says why."""


def host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def origin_of(endpoint: str) -> str:
    """`scheme://host[:port]`: the VAPID audience, and the unit a push service is counted by."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def check_endpoint(endpoint: str, extra_hosts: tuple[str, ...] = (), allow_loopback: bool = False) -> str:
    """The endpoint if the server may send to it, else `EndpointRefused` with the reason."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise EndpointRefused(f"The endpoint is longer than {MAX_ENDPOINT_LENGTH} characters.")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        raise EndpointRefused(f"The endpoint is not a valid URL: {exc}.") from exc
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise EndpointRefused("The endpoint must be a plain URL: a host, a path, no user info or fragment.")
    if allow_loopback and parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return endpoint
    if parts.scheme != "https":
        raise EndpointRefused("The endpoint must use https.")
    if port not in (None, 443):
        raise EndpointRefused("The endpoint must use the default https port.")
    if not any(host_matches(host, pattern) for pattern in (*KNOWN_PUSH_HOSTS, *extra_hosts)):
        raise EndpointRefused(
            f"{host} is not a known push service. An operator can allow it with KAARI_PUSH_SERVICE_HOSTS."
        )
    return endpoint
