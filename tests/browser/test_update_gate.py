"""The service worker update gate: a new release installs, then waits until the app says it is idle."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import TABLET, LiveServer, eventually, wait_for_service_worker
from tests.browser.rewriting_proxy import rewriting_proxy

BUSY = "() => window.kaari.setIdleCheck(async () => ({ outboxEmpty: false, syncRunning: false }))"
IDLE = "() => window.kaari.setIdleCheck(async () => ({ outboxEmpty: true, syncRunning: false }))"
WAITING = "() => window.kaari.updateWaiting()"


def test_new_release_waits_for_an_empty_outbox(browser: Browser, live_server: LiveServer) -> None:
    with rewriting_proxy(live_server.url) as proxy:
        context = browser.new_context(base_url=proxy.url, viewport=TABLET)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.goto("/")
            expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
            wait_for_service_worker(page)

            page.evaluate(BUSY)  # as the sync engine will while writes are queued
            proxy.new_release()
            page.evaluate("() => navigator.serviceWorker.getRegistration().then((r) => r.update())")
            eventually(lambda: page.evaluate(WAITING))
            assert page.evaluate("() => window.kaari.activateUpdateIfIdle()") is False
            assert page.evaluate(WAITING) is True  # still held back, the old worker still in charge

            page.evaluate(IDLE)
            page.evaluate("() => { window.beforeUpdate = true; }")
            with page.expect_event("load"):  # the page reloads once the new worker controls it
                assert page.evaluate("() => window.kaari.activateUpdateIfIdle()") is True
            assert page.evaluate("() => window.beforeUpdate") is None
            assert page.evaluate(WAITING) is False
            assert page.evaluate("() => navigator.serviceWorker.controller?.state") == "activated"
            expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
        finally:
            context.close()
