"""The app shell in a real browser: sign-in, offline reload, deep links, languages, errors."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, sign_in, wait_for_service_worker

SIGN_IN_FI = "Kirjaudu sisään"


def test_signed_in_home_survives_an_offline_reload(
    context: BrowserContext, page: Page, unit_names: dict, screenshot
) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name=SIGN_IN_FI)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    screenshot(page, "sign-in", readme=True)

    sign_in(page, "paiva")
    expect(page).to_have_url(re.compile(r"/paiva$"))  # unit staff land on their unit's screen
    page.get_by_role("link", name="Etusivu").click()
    greeting = page.get_by_test_id("greeting")
    expect(greeting).to_have_text("Hei, Päivi Päivätoiminta!")
    roles = page.get_by_test_id("roles")
    expect(roles).to_contain_text("Yksikön henkilökunta")
    expect(roles).to_contain_text(unit_names["oulu-da-1"]["fi"])
    expect(page.get_by_test_id("connection")).to_have_text("Verkossa")
    wait_for_service_worker(page)
    screenshot(page, "home")

    context.set_offline(True)
    page.reload()
    expect(greeting).to_have_text("Hei, Päivi Päivätoiminta!")
    expect(roles).to_contain_text(unit_names["oulu-da-1"]["fi"])  # from the user's IndexedDB
    expect(page.get_by_test_id("connection")).to_have_text("Ei verkkoyhteyttä")
    screenshot(page, "home-offline")


def test_service_worker_and_shell_headers(live_server: LiveServer) -> None:
    sw = httpx.get(f"{live_server.url}/sw.js")
    assert sw.status_code == 200
    assert sw.headers["cache-control"] == "no-cache"
    assert "javascript" in sw.headers["content-type"]
    assert "skipWaiting" in sw.text  # only on the page's SKIP_WAITING message

    index = httpx.get(f"{live_server.url}/enrol")
    assert index.headers["cache-control"] == "no-cache"
    script = re.search(r'src="(/assets/app-[A-Z0-9]+\.js)"', index.text)
    assert script, index.text
    assert "immutable" in httpx.get(live_server.url + script.group(1)).headers["cache-control"]
    assert script.group(1) in sw.text  # precached under this build's cache

    manifest = httpx.get(f"{live_server.url}/manifest.webmanifest").json()
    assert (manifest["name"], manifest["short_name"], manifest["lang"]) == ("Kaari", "Kaari", "fi")
    assert (manifest["display"], manifest["start_url"]) == ("standalone", "/")
    for icon in manifest["icons"]:
        png = httpx.get(live_server.url + icon["src"]).content
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert icon["sizes"] == f"{width}x{height}"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])


def test_deep_link_opens_enrolment(page: Page, screenshot) -> None:
    page.goto("/enrol")
    expect(page.get_by_role("heading", name="Tabletin käyttöönotto")).to_be_visible()
    expect(page.get_by_label("Käyttöönottokoodi")).to_be_visible()
    screenshot(page, "enrol")


def test_swedish_sign_in_screen_and_choice_persists(page: Page, screenshot) -> None:
    page.goto("/")
    expect(page.get_by_label("Käyttäjätunnus")).to_be_visible()
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    expect(page.get_by_label("Användarnamn")).to_be_visible()
    expect(page.get_by_label("Lösenord")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    screenshot(page, "sign-in-sv")

    page.reload()
    expect(page.get_by_label("Användarnamn")).to_be_visible()


def test_wrong_password_shows_the_servers_message(page: Page, screenshot) -> None:
    page.goto("/")
    sign_in(page, "hoiva", "not-the-password")
    expect(page.get_by_test_id("sign-in-error")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Salasana")).to_have_value("")
    screenshot(page, "sign-in-error")


def test_locked_out_sign_in_says_when_to_retry(page: Page, live_server: LiveServer) -> None:
    # A user no other browser test signs in as: the lock lasts 15 minutes on the shared server.
    for _ in range(5):  # the server's limit of failed sign-ins per username
        response = httpx.post(
            f"{live_server.url}/api/auth/login", json={"username": "ohjaaja-etela", "password": "wrong"}
        )
        assert response.status_code == 401
    page.goto("/")
    sign_in(page, "ohjaaja-etela")
    error = page.get_by_test_id("sign-in-error")
    expect(error).to_contain_text("Too many failed attempts. Try again later.")
    expect(error).to_contain_text(re.compile(r"Yritä uudelleen \d+ minuutin kuluttua\."))
