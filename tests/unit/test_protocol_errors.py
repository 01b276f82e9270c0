"""Error codes (§7): what the client does for each, and the pure parts of the client's retry rules."""

from datetime import UTC, datetime

import pytest

from sync_protocol import errors
from sync_protocol.client.transport import RetryPolicy, retry_after
from sync_protocol.errors import ClientAction, action_for


@pytest.mark.parametrize(
    ("status", "code", "action"),
    [
        (401, "token_expired", ClientAction.REFRESH),
        (401, "unauthenticated", ClientAction.REFRESH),
        (403, "device_revoked", ClientAction.WIPE),
        (403, "client_mismatch", ClientAction.STOP),
        (403, "forbidden", ClientAction.STOP),
        (409, "seq_reused", ClientAction.STOP),
        (413, "too_large", ClientAction.SPLIT),
        (426, "upgrade_required", ClientAction.UPGRADE),
        (429, "rate_limited", ClientAction.WAIT),
        (500, None, ClientAction.RETRY),
        (502, "http_502", ClientAction.RETRY),
        (503, "server_error", ClientAction.RETRY),
        (408, None, ClientAction.RETRY),
        (413, None, ClientAction.SPLIT),
        (400, "bad_request", ClientAction.FIX),
        (404, None, ClientAction.FIX),
        (200, "seq_gap", ClientAction.RESEND),
    ],
)
def test_action_for(status, code, action):
    assert action_for(status, code) is action


def test_every_http_error_has_a_status_and_an_action():
    for code, status in errors.HTTP_STATUS.items():
        assert 400 <= status < 600
        assert code in errors.CLIENT_ACTION
        assert action_for(status, code) is errors.CLIENT_ACTION[code]


def test_rejection_codes():
    assert {
        "unknown_mutation",
        "invalid_args",
        "invalid_code",
        "capacity_exhausted",
    } <= errors.REJECTION_CODES


def test_full_jitter_backoff():
    policy = RetryPolicy(base_delay=0.5, max_delay=10.0)
    assert [policy.delay(n, lambda: 1.0) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert policy.delay(3, lambda: 0.25) == 1.0
    assert policy.delay(3, lambda: 0.0) == 0.0


def test_retry_after_seconds_and_dates():
    now = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after(" 3 ") == 3.0
    assert retry_after("Sun, 22 Nov 2026 08:00:30 GMT", now) == 30.0
    assert retry_after("Sun, 22 Nov 2026 07:00:00 GMT", now) == 0.0
    assert retry_after(None) is None
    assert retry_after("soon") is None
