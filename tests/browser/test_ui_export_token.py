"""Export when reads are protected, in headless Chromium against the real Elasticsearch: a plain
link cannot send the API token, so the UI fetches the CSV with the token and hands it to the
browser as a download."""

from __future__ import annotations

import csv
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from pipeline.settings import Settings
from tests.browser.conftest import ARTIFACTS, TOKEN, ServeUi
from tests.unit.elastic.hits import make_hit

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def ui_settings(ui_settings: Settings) -> Settings:
    return ui_settings.model_copy(
        update={"api": ui_settings.api.model_copy(update={"protect_reads": True})}
    )


def test_export_carries_the_token_when_reads_are_protected(
    serve_ui: ServeUi, open_page: Callable[[int], Page]
) -> None:
    from playwright.sync_api import expect

    hits = [make_hit(f"web:{i}", f"Ballots found in a river {i}") for i in range(3)]
    url = serve_ui(hits)
    page = open_page(1280)
    page.goto(url)
    status = page.locator("#status")
    expect(status).to_contain_text("401")  # no token: the search itself is refused

    plain = page.request.get(url + "/api/export?format=csv")
    assert plain.status == 401  # what the bare link would have downloaded

    page.click(".auth summary")
    page.fill("[data-testid=token]", TOKEN)
    page.click(".auth summary")  # close the menu again
    page.locator("#search-form").evaluate("form => form.requestSubmit()")
    expect(page.locator("[data-testid=hit]")).to_have_count(3)

    with page.expect_download() as download_info:
        page.click("[data-testid=export]")
    download = download_info.value
    assert download.suggested_filename == "hits.csv"
    path = ARTIFACTS / "ui-export-token.csv"
    download.save_as(str(path))
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert sorted(r["id"] for r in rows) == [f"web:{i}:n-rigged" for i in range(3)]
