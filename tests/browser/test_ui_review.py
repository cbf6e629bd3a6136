"""The analyst web UI in headless Chromium against the real Elasticsearch: search, filter, open
the explanation drawer, review with the token, and see the audit entry; load more, sort, min score
and export. Saves screenshots under ``test-artifacts/``."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page

from models.records import Hit
from tests.browser.conftest import ARTIFACTS, TOKEN, ServeUi
from tests.unit.elastic.hits import WHEN, make_hit, seed_hits

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def filler_hits(count: int) -> list[Hit]:
    """`count` low-scoring forum hits, older than the seed hits: enough for a second page."""
    return [
        make_hit(
            f"forum:{i}",
            f"Forum post {i} repeating the dead voters claim",
            embedding=[0.1, 0.1, 1.0, 0.1],
            platform="forum",
            narrative_id="n-dead-voters",
            narrative_title="Dead voters",
            severity="medium",
            handle=f"user{i}",
            created_at=WHEN - timedelta(hours=i + 1),
            score=0.56 + i / 1000,
        )
        for i in range(count)
    ]


def test_search_filter_explain_review_audit(
    serve_ui: ServeUi, open_page: Callable[[int], Page]
) -> None:
    from playwright.sync_api import expect

    ui_url = serve_ui(seed_hits())
    page = open_page(1280)
    page.goto(ui_url)
    hits = page.locator("[data-testid=hit]")
    expect(hits).to_have_count(6)
    expect(page.locator("[data-testid=narrative]")).to_have_count(2)
    assert page.locator("[data-testid=narratives] svg polyline").count() == 2

    # Search: highlighted text.
    page.fill("[data-testid=q]", "flipped votes")
    page.click("[data-testid=search-button]")
    expect(hits).to_have_count(2)
    expect(page.locator("[data-testid=post]").first.locator("mark").first).to_have_text("flipped")

    # Filter: platform narrows further; clearing the text shows the platform's hits.
    page.fill("[data-testid=q]", "")
    page.select_option("[data-testid=filter-platform]", "mastodon")
    expect(hits).to_have_count(2)
    page.select_option("[data-testid=filter-stance]", "discusses")
    expect(hits).to_have_count(1)
    target = hits.first
    expect(target).to_have_attribute("data-id", "mastodon:3:n-rigged")

    # Explanation drawer.
    target.locator("[data-testid=why]").click()
    drawer = page.locator("[data-testid=drawer]")
    expect(drawer).to_be_visible()
    expect(drawer).to_contain_text("Voting machines flipped votes")
    expect(drawer).to_contain_text("threshold 0.6")
    expect(page.locator("[data-testid=history]")).to_contain_text("Not reviewed yet")
    # The drawer starts below the sticky header and filter bar, never over the filters.
    filters_box = page.locator("#filters").bounding_box()
    drawer_box = drawer.bounding_box()
    assert filters_box and drawer_box
    assert drawer_box["y"] >= filters_box["y"] + filters_box["height"] - 1
    # ...and beside the results, so the hit being explained (and its review state) stays visible.
    target_box = target.bounding_box()
    assert target_box and target_box["x"] + target_box["width"] <= drawer_box["x"] + 1
    page.screenshot(path=str(ARTIFACTS / "ui-explanation.png"))

    # Without a token the review buttons are disabled and the reviewer menu says so.
    expect(target.locator("[data-testid=review-confirmed]")).to_be_disabled()
    expect(page.locator("[data-testid=token-state]")).to_contain_text("read-only (no token)")

    # Review with the token: state changes, audit entry appears in the open drawer.
    page.click(".auth summary")
    page.fill("[data-testid=token]", TOKEN)
    page.fill("[data-testid=reviewer]", "ana")
    page.once("dialog", lambda dialog: dialog.accept("parody account"))
    target.locator("[data-testid=review-false_positive]").click()
    expect(target.locator("[data-testid=review-state]")).to_have_text("false positive")
    entry = page.locator("[data-testid=audit-entry]")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("ana: unreviewed → false_positive")
    expect(entry).to_contain_text("parody account")

    # The review filter finds it.
    page.select_option("[data-testid=filter-stance]", "")
    page.select_option("[data-testid=filter-review]", "false_positive")
    expect(hits).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "ui-reviewed.png"), full_page=True)


def test_load_more_sort_min_score_export(
    serve_ui: ServeUi, open_page: Callable[[int], Page]
) -> None:
    from playwright.sync_api import expect

    ui_url = serve_ui(seed_hits() + filler_hits(19))  # 25 hits: one page of 20, then 5 more
    page = open_page(1280)
    page.goto(ui_url)
    hits = page.locator("[data-testid=hit]")
    status = page.locator("[data-testid=status]")
    more = page.locator("[data-testid=more]")

    # Load more: the second page is appended after the first, none repeated.
    expect(hits).to_have_count(20)
    expect(status).to_have_text("25 hits, 20 shown")
    more.click()
    expect(hits).to_have_count(25)
    expect(status).to_have_text("25 hits, 25 shown")
    expect(more).to_be_hidden()
    shown = hits.evaluate_all("nodes => nodes.map(n => n.dataset.id)")
    assert len(set(shown)) == 25
    page.evaluate("window.scrollTo(0, 0)")  # the sticky bar would be captured mid-page
    page.screenshot(path=str(ARTIFACTS / "ui-load-more.png"), full_page=True)

    # Sort: by score, the 0.91 hit first; oldest first, the oldest forum post.
    page.select_option("[data-testid=filter-sort]", "score")
    expect(hits.first).to_have_attribute("data-id", "bsky:1:n-rigged")
    page.select_option("[data-testid=filter-sort]", "oldest")
    expect(hits.first).to_have_attribute("data-id", "forum:18:n-dead-voters")

    # Min score keeps the three hits at 0.8 or above, in the chosen order.
    page.fill("[data-testid=filter-min-score]", "0.8")
    page.press("[data-testid=filter-min-score]", "Tab")  # `change` fires when the field is left
    expect(hits).to_have_count(3)
    expect(status).to_have_text("3 hits, 3 shown")
    assert hits.evaluate_all("nodes => nodes.map(n => n.dataset.id)") == [
        "bsky:1:n-rigged",
        "mastodon:4:n-dead-voters",
        "bsky:6:n-rigged",
    ]
    expect(more).to_be_hidden()

    # Export downloads the same filtered hits as CSV.
    with page.expect_download() as download_info:
        page.click("[data-testid=export]")
    download = download_info.value
    assert download.suggested_filename == "hits.csv"
    path = ARTIFACTS / "ui-export.csv"
    download.save_as(str(path))
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert sorted(r["id"] for r in rows) == [
        "bsky:1:n-rigged",
        "bsky:6:n-rigged",
        "mastodon:4:n-dead-voters",
    ]
    assert all(float(r["scores.combined"]) >= 0.8 for r in rows)
