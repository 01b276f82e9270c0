"""Every screen of the app checked with axe-core (Deque) against WCAG 2.0 and 2.1, levels A and AA: contrast,
names and labels, landmarks, ARIA; and, which axe does not check, a visible focus ring on everything the Tab
key reaches. One browser page per demo user visits that user's screens and each of their tabs; the app's
shadow DOM (Lit) is open, and axe looks inside it. A violation fails the test with
its rule, impact and the elements it found, so the fix is plain from the output.

Axe is `pwa_shell`'s dev dependency (`make test` installs it with `npm ci`); it is injected into the page
for the test only and never part of the built app.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    PWA,
    TABLET,
    LiveServer,
    engine_query,
    enrol_tablet,
    sign_in,
    wait_for_service_worker,
    wait_for_sync,
)

AXE = PWA / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# The screens each demo user works in; every tab of a screen is checked too.
SCREENS = {
    "admin": ["/", "/huomio", "/admin"],
    "kotas": ["/kotas"],
    "ohjaaja": ["/ohjaaja", "/ohjaus"],
    "ohjaus-esihenkilo": ["/seuranta"],
    "hoiva": ["/hoiva"],
}

RUN_AXE = """async (tags) => {
  // Also WCAG 2.2's target size (24 px, 2.5.8): the screens are used by touch on a tablet.
  const result = await window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    rules: { 'target-size': { enabled: true } },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary.replace(/\\s+/g, ' ')}`),
  }));
}"""

# The route changes as a link in the app does it (History API), so the page, its engine and axe stay.
UPDATE = "async ([args, base]) => { await window.kaari.engine().mutate('client.update', args, { baseVersion: base }); }"
GO = """(path) => {
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}"""


def settle(page: Page) -> None:
    """The screen has its data: the first sync is done and no server-computed view is still loading."""
    expect(page.get_by_text("Ladataan…")).to_have_count(0, timeout=30_000)


# WCAG 2.4.7 (focus visible), which axe does not check: the element the keyboard focused (inside the
# shadow roots) has a focus ring of its own, an outline of 2 px or more or a box shadow. `first` starts a
# walk; a walk ends when focus comes back to an element it has seen.
FOCUSED = """(first) => {
  if (first) window.kaariFocusSeen = new WeakSet();
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return null;
  if (window.kaariFocusSeen.has(el)) return { again: true };
  window.kaariFocusSeen.add(el);
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
  const name = (el.getAttribute('aria-label') || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  return { ring, what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name}"` };
}"""
MAX_TABS = 100


def focus_rings(page: Page) -> list[str]:
    """Tab through the screen; the focused elements that show no focus ring."""
    missing = []
    for index in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED, index == 0)
        if focused and focused.get("again"):
            break
        if focused and not focused["ring"]:
            missing.append(focused["what"])
    return missing


def audit(page: Page, where: str, found: dict[str, list[dict]]) -> None:
    settle(page)
    if missing := focus_rings(page):
        found.setdefault(where, []).append(
            {
                "id": "focus-visible",
                "impact": "serious",
                "help": "WCAG 2.4.7: no focus ring",
                "nodes": missing,
            }
        )
    if not page.evaluate("() => Boolean(window.axe)"):
        assert AXE.is_file(), f"{AXE} is missing: run `make test` (or `npm ci` in pwa_shell)"
        # Evaluated by the browser's devtools protocol, not as an inline <script>: the app's Content-Security-
        # Policy allows no inline script, and the audit must run under the policy users get.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    if violations := page.evaluate(RUN_AXE, WCAG_AA):
        found.setdefault(where, []).extend(violations)


def audit_tabs(page: Page, where: str, found: dict[str, list[dict]]) -> None:
    """The screen as it opens, then each of its other tabs (if it has tabs)."""
    audit(page, where, found)
    tabs = page.get_by_role("tab")
    for index in range(1, tabs.count()):
        tab = tabs.nth(index)
        name = tab.inner_text().strip()
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        audit(page, f"{where} [{name}]", found)


def report(found: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {node}" for node in v["nodes"][:8])
    return "\n".join(lines)


def offer_form(page: Page, found: dict[str, list[dict]]) -> None:
    """The coordinator's offer of a place, opened from the queue."""
    page.evaluate(GO, "/kotas?tab=queue")
    row = page.get_by_test_id("queue-row").filter(has=page.get_by_test_id("offer-button")).first
    row.get_by_test_id("offer-button").click()
    expect(page.get_by_test_id("offer-form")).to_be_visible()
    audit(page, "kotas /kotas [offer]", found)


def client_record(page: Page, found: dict[str, list[dict]]) -> None:
    """A client's record with its 360 timeline and the form for the person's details, opened."""
    page.evaluate(GO, "/ohjaus")
    page.get_by_label("Asiakkaan nimi").fill("a")
    page.get_by_test_id("client-results").get_by_role("button").first.click()
    record = page.get_by_test_id("client-record")
    expect(page.get_by_test_id("timeline-basis")).to_be_visible()
    record.get_by_test_id("edit-details").get_by_text("Muokkaa henkilötietoja").click()
    record.get_by_text("Lisää läheinen").click()
    expect(record.get_by_test_id("add-close-person")).to_be_visible()
    audit(page, "ohjaaja /ohjaus [client record]", found)

    # A change the server refuses (not an e-mail address) waits in Needs attention: the item and its
    # fix form are checked, then it is discarded, so the server's data stays as it was.
    client = engine_query(page, "client")[0]
    page.evaluate(
        UPDATE, [{"client_id": client["id"], "changes": {"email": "ei osoite"}}, client["data"]["revision"]]
    )
    page.evaluate(GO, "/huomio")
    item = page.get_by_test_id("attention-item")
    item.get_by_role("button", name="Korjaa ja lähetä uudelleen").click(timeout=30_000)
    audit(page, "ohjaaja /huomio [rejected change]", found)
    item.get_by_role("button", name="Peruuta").click()
    item.get_by_role("button", name="Hylkää kirjaus").click()
    expect(item).to_have_count(0)


def picked_device(page: Page, found: dict[str, list[dict]]) -> None:
    """A device picked out on the sync-health tab (where a stale device's notification opens), and a link
    to a device the server does not know."""
    page.evaluate(GO, "/admin")
    device = page.get_by_test_id("health-row").first.get_attribute("data-device-id")
    page.evaluate(GO, f"/admin?device_id={device}")
    expect(page.get_by_test_id("device-detail")).to_be_visible()
    audit(page, "admin /admin [device picked out]", found)
    page.evaluate(GO, f"/admin?device_id={uuid.uuid4()}")
    expect(page.get_by_test_id("device-not-found")).to_be_visible()
    audit(page, "admin /admin [device not found]", found)


# Views that open on a user's action, checked after the user's screens.
OPENED = {"kotas": offer_form, "ohjaaja": client_record, "admin": picked_device}


@contextmanager
def fresh_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page in a new browser profile at tablet size (no service worker, IndexedDB or sign-in yet)."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="fi-FI")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_every_screen_meets_wcag_21_aa(browser: Browser, live_server: LiveServer) -> None:
    found: dict[str, list[dict]] = {}
    for user, paths in SCREENS.items():
        # A fresh profile per user, as on a personal device: sign-in, then each screen without reloads.
        with fresh_page(browser, live_server) as page:
            page.goto("/")
            expect(page.get_by_label("Käyttäjätunnus")).to_be_visible()
            if user == "admin":
                audit(page, "/sign-in", found)
            sign_in(page, user)
            expect(page.get_by_label("Käyttäjätunnus")).to_have_count(0)
            wait_for_service_worker(page)
            wait_for_sync(page)
            for path in paths:
                page.evaluate(GO, path)
                expect(page).to_have_url(re.compile(re.escape(path) + r"(\?.*)?$"))
                audit_tabs(page, f"{user} {path}", found)
            if user in OPENED:
                OPENED[user](page, found)
    shared_tablet(browser, live_server, found)
    assert not found, "WCAG 2.1 AA violations (axe-core):\n" + report(found)


def shared_tablet(browser: Browser, live_server: LiveServer, found: dict[str, list[dict]]) -> None:
    """Day activity on a unit's shared tablet: enrolment, the roster in all three languages and offline,
    the PIN lock."""
    with fresh_page(browser, live_server) as page:
        page.goto("/enrol")
        expect(page.get_by_label("Käyttöönottokoodi")).to_be_visible()
        audit(page, "/enrol", found)
        enrol_tablet(page, live_server.enroll("oulu-da-1", "Saavutettavuustabletti"))
        sign_in(page, "paiva")
        expect(page).to_have_url(re.compile(r"/paiva$"))
        wait_for_service_worker(page)
        wait_for_sync(page)
        expect(page.get_by_test_id("tile").first).to_be_visible()
        audit(page, "paiva /paiva", found)
        page.get_by_test_id("tile").get_by_role("button", name=re.compile("Merkitse poissaolo")).first.click()
        expect(page.locator("#absence-dialog")).to_be_visible()
        audit(page, "paiva /paiva [absence dialog]", found)
        page.keyboard.press("Escape")
        expect(page.locator("#absence-dialog")).to_be_hidden()
        # Swedish and English texts have their own lengths and names (a visible label in the name).
        for language, code in [("Svenska", "sv"), ("English", "en"), ("Suomi", "fi")]:
            page.get_by_role("button", name=language, exact=True).click()
            expect(page.locator("html")).to_have_attribute("lang", code)
            if code != "fi":
                audit(page, f"paiva /paiva ({code})", found)
        # Offline, a check-in made with the keyboard waits unsent: the offline header, the sync status and
        # the "not yet sent" badge. The tablet stays offline until it is closed, so nothing reaches the server.
        page.context.set_offline(True)
        expect(page.get_by_test_id("connection")).to_have_text("Ei verkkoyhteyttä")
        client = page.locator("[data-testid=tile][data-state=expected]").first.get_attribute("data-client")
        tile = page.locator(f"[data-testid=tile][data-client='{client}']")
        tile.get_by_role("button", name=re.compile("Kirjaa saapuminen")).focus()
        page.keyboard.press("Enter")
        expect(tile.get_by_text("Ei vielä lähetetty")).to_be_visible()
        audit(page, "paiva /paiva (offline, unsent)", found)
        page.evaluate(GO, "/")
        page.get_by_label("Uusi PIN-koodi").fill("2468")
        page.get_by_label("PIN-koodi uudelleen").fill("2468")
        page.get_by_role("button", name="Aseta PIN-koodi").click()
        expect(page.get_by_test_id("pin-notice")).to_have_text("PIN-koodi asetettu.")
        audit(page, "paiva / (tablet)", found)
        page.get_by_role("button", name="Vaihda käyttäjää").click()
        expect(page.get_by_test_id("lock-screen")).to_be_visible()
        audit(page, "lock screen", found)
