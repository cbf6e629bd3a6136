"""The analyst UI under its Content-Security-Policy, in headless Chromium against the real
Elasticsearch: the page runs with no policy violation, and a post's url becomes a link only when
it is http(s)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.browser.conftest import ServeUi
from tests.unit.elastic.hits import make_hit

pytestmark = [pytest.mark.integration, pytest.mark.browser]

HOSTILE_URLS = ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>"]


def test_ui_runs_under_the_csp_and_links_only_http_urls(
    serve_ui: ServeUi,
    open_page: Callable[[int], Page],
) -> None:
    from playwright.sync_api import expect

    hits = [make_hit("web:safe", "Ballots found in a river", url="https://example.org/a?b=1")]
    hits += [
        make_hit(f"web:bad{i}", f"Ballots found in a lake {i}", url=url)
        for i, url in enumerate(HOSTILE_URLS)
    ]
    page = open_page(1280)
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    url = serve_ui(hits)
    page.goto(url)
    rows = page.locator("[data-testid=hit]")
    expect(rows).to_have_count(3)
    drawer = page.locator("#drawer-body")

    rows.locator("xpath=self::*[@data-id='web:safe:n-rigged']").locator("[data-testid=why]").click()
    link = drawer.locator("a")
    expect(link).to_have_attribute("href", "https://example.org/a?b=1")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    for i, hostile in enumerate(HOSTILE_URLS):
        rows.locator(f"xpath=self::*[@data-id='web:bad{i}:n-rigged']").locator(
            "[data-testid=why]"
        ).click()
        expect(drawer).to_contain_text(hostile)  # shown as text...
        expect(drawer.locator("a")).to_have_count(0)  # ...never as a link

    # The reviewer form's inline handler is allowed by hash: Enter does not reload the page.
    page.evaluate("window.__notReloaded = true")
    page.click(".auth summary")
    page.fill("[data-testid=token]", "t")
    page.press("[data-testid=token]", "Enter")
    expect(rows).to_have_count(3)
    assert page.evaluate("window.__notReloaded === true")  # a reload would have cleared it
    assert violations == []
