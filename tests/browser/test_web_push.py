"""Web Push wakes the app (pwa_shell/src/sw.js, src/sync/wake.js) against the real server: a push delivered
to the service worker through CDP, as a push service would deliver it (headless Chromium cannot subscribe),
is shown and makes the open page pull at once; with no page of the app open, the next page to open pulls for
it first. Clicking it takes the open page to the notification's view: no automation can click a notification
(no CDP or WebDriver command), so the click is a NotificationEvent dispatched in the worker, which runs
sw.js's own notificationclick handler (docs/notifications.md, "Where a click opens")."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import BrowserContext, Page, expect

from server.clock import today_in_finland
from server.reference.models import reference_id
from tests.browser.conftest import eventually, sign_in, wait_for_service_worker, wait_for_sync

PAYLOAD = {  # docs/notifications.md, "The push payload"
    "v": 1,
    "id": "5a1fb873-d869-51a4-872d-0a8baceb5cba",
    "kind": "referral",
    "title": "Uusi lähete: Lyhytaikaishoito, Oulu",
    "body": "Kiireellinen, saapunut tänään.",
    "tag": "referral:test",
    "url": "/kotas",
    "ids": {"referral_id": "r1"},
    "revision": 1,
    "created_at": "2026-11-30T12:00:00+00:00",
    "renotify": False,
}
REASONS = "() => window.kaari.engine()?.reasons ?? null"
PENDING = """async (name) => new Promise((resolve, reject) => {
  const opened = indexedDB.open(name);
  opened.onerror = () => reject(opened.error);
  opened.onsuccess = () => {
    const got = opened.result.transaction('meta').objectStore('meta').get('push_pending');
    got.onsuccess = () => { opened.result.close(); resolve(got.result ?? null); };
    got.onerror = () => reject(got.error);
  };
})"""


CLICK = """async () => {
  const [notification] = await self.registration.getNotifications();
  if (!notification) return null; // not shown yet
  self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
  return notification.data.url;
}"""


def deliver_push(page: Page, payload: dict) -> None:
    """`ServiceWorker.deliverPushMessage` to the app's worker, from `page`'s DevTools session."""
    cdp = page.context.new_cdp_session(page)
    registrations: dict[str, dict] = {}

    def updated(event: dict) -> None:
        for reg in event["registrations"]:
            registrations[reg["registrationId"]] = reg

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")

    def registered() -> dict | None:
        page.wait_for_timeout(20)  # lets Playwright hand over the session's events
        return next((r for r in registrations.values() if not r["isDeleted"]), None)

    registration = eventually(registered)
    origin = registration["scopeURL"].rstrip("/")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": registration["registrationId"], "data": json.dumps(payload)},
    )
    cdp.detach()


def open_app(page: Page) -> None:
    page.goto("/")
    sign_in(page, "kotas")
    wait_for_sync(page)
    wait_for_service_worker(page)


def test_a_push_is_shown_and_the_open_page_pulls_at_once(context: BrowserContext, page: Page) -> None:
    context.grant_permissions(["notifications"])
    open_app(page)
    pulls: list[float] = []
    page.on("request", lambda r: pulls.append(time.monotonic()) if "/api/sync/v1/pull" in r.url else None)
    before = len(page.evaluate(REASONS))
    pushed_at = time.monotonic()
    deliver_push(page, PAYLOAD)
    # The worker told the page, whose engine synced for the push: a pull went out after it.
    eventually(lambda: "push" in page.evaluate(REASONS)[before:])
    wait_for_sync(page)
    assert any(at > pushed_at for at in pulls), "the page pulled after the push"
    shown = page.evaluate(
        "async () => (await (await navigator.serviceWorker.ready).getNotifications())"
        ".map((n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}))"
    )
    assert shown == [
        {"title": PAYLOAD["title"], "body": PAYLOAD["body"], "tag": "referral:test", "url": "/kotas"}
    ]


def test_a_push_with_the_app_closed_makes_the_next_open_sync_first(
    context: BrowserContext, page: Page
) -> None:
    context.grant_permissions(["notifications"])
    open_app(page)
    user_db = "kaari-user-" + page.evaluate("() => window.kaari.engine().userId")
    # A tab on a server route is not the app: the worker finds no page to wake.
    other = context.new_page()
    other.goto("/healthz")
    page.close()
    deliver_push(other, PAYLOAD)
    noted = eventually(lambda: other.evaluate(PENDING, user_db))
    assert noted["id"] == PAYLOAD["id"] and noted["kind"] == "referral"

    reopened = context.new_page()
    reopened.goto("/")
    wait_for_sync(reopened)
    assert reopened.evaluate(REASONS)[0] == "push", "the first sync of the new page is the push's"
    assert other.evaluate(PENDING, user_db) is None, "forgotten once a sync has succeeded"


def test_clicking_a_push_takes_the_open_page_to_its_view(context: BrowserContext, page: Page) -> None:
    context.grant_permissions(["notifications"])
    logged: list[str] = []  # the worker's console, for a failure's message
    context.on("console", lambda message: logged.append(f"{message.type}: {message.text}"))

    def logged_on_failure(check: Callable[[], object]) -> object:
        try:
            return eventually(check, timeout=30)
        except AssertionError as error:
            raise AssertionError(f"{error}; the browser's console: {logged}") from None

    open_app(page)
    page.goto("/kotas?tab=inbox")
    wait_for_sync(page)
    lepola = str(reference_id("unit", "oulu-stc-1"))
    url = f"/kotas?unit_id={lepola}&from={today_in_finland() + timedelta(days=7)}"  # as the server writes it (notifications/rules.py)
    freed = {"kind": "free_places", "tag": "free_places:t", "url": url, "ids": {"unit_id": lepola}}
    before = len(page.evaluate(REASONS))
    deliver_push(page, {**PAYLOAD, **freed})
    # The worker has run its push handler: it told the page, which synced for it.
    logged_on_failure(lambda: "push" in page.evaluate(REASONS)[before:])

    def click() -> str | None:
        # The worker the context has now: Chromium may have stopped and restarted it since the push.
        return next(iter(context.service_workers)).evaluate(CLICK)

    assert logged_on_failure(click) == url
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    expect(page.get_by_test_id("unit-filter")).to_contain_text("Lyhytaikaisyksikkö Lepola")
    [worker] = context.service_workers
    assert worker.evaluate("async () => (await self.registration.getNotifications()).length") == 0, "closed"
