"""The analyst web UI in headless Chromium against the real Elasticsearch: search, filter, open
the explanation drawer, review with the token, and see the audit entry. Saves screenshots under
``test-artifacts/``.

The hits carry fixed 4-dimensional vectors instead of model embeddings: this test is about the UI,
which never needs the model (no /api/similar call).
"""

from __future__ import annotations

import csv
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from playwright.sync_api import Page
from pydantic import SecretStr

from models.catalog import Catalog, Narrative
from models.records import Hit
from pipeline.api.app import create_app
from pipeline.api.service import HitService
from pipeline.elastic.schema import ensure_hits_index, names
from pipeline.settings import Settings
from tests.unit.elastic.hits import WHEN, index_hits, make_hit, seed_hits

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOKEN = "ui-s3cret"
CATALOG = Catalog(
    name="ui",
    narratives=(
        Narrative(id="n-rigged", title="Machines rigged", severity="high", exemplars=("x",)),
        Narrative(id="n-dead-voters", title="Dead voters", exemplars=("y",)),
    ),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@pytest.fixture
def serve_ui(
    es: Elasticsearch, settings: Settings, unique_name: str
) -> Iterator[Callable[[list[Hit]], str]]:
    """Index the given hits under a fresh prefix and serve the UI on them; returns the URL."""
    import uvicorn

    mine = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(
                update={"index_prefix": f"t-{unique_name}"}
            ),
            "api": settings.api.model_copy(update={"token": SecretStr(TOKEN)}),
        }
    )
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(hits: list[Hit]) -> str:
        alias = ensure_hits_index(es, mine, dims=4)
        index_hits(es, alias, hits)
        app = create_app(mine, HitService(es, mine, catalog_loader=lambda: CATALOG))
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(mine)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


@pytest.fixture
def browser_page() -> Iterator[tuple[Page, list[str]]]:
    """A 1280x900 headless Chromium page and the page errors it raised (asserted empty after)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],  # Playwright gives every launch a fresh temporary profile
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        browser.close()
    assert errors == []


def test_search_filter_explain_review_audit(
    serve_ui: Callable[[list[Hit]], str], browser_page: tuple[Page, list[str]]
) -> None:
    from playwright.sync_api import expect

    ui_url = serve_ui(seed_hits())
    page, _ = browser_page
    page.goto(ui_url)
    hits = page.locator("[data-testid=hit]")
    expect(hits).to_have_count(6)
    expect(page.locator("[data-testid=narrative]")).to_have_count(2)
    assert page.locator("[data-testid=narratives] svg polyline").count() == 2

    # Search: highlighted text.
    page.fill("[data-testid=q]", "flipped votes")
    page.click("[data-testid=search-button]")
    expect(hits).to_have_count(2)
    expect(hits.first.locator("mark").first).to_have_text("flipped")

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

    # Review without a token is refused and says so.
    target.locator("[data-testid=review-confirmed]").click()
    expect(page.locator("[data-testid=status]")).to_contain_text("401")

    # Review with the token: state changes, audit entry appears in the open drawer.
    page.click(".auth summary")
    page.fill("[data-testid=token]", TOKEN)
    page.fill("[data-testid=reviewer]", "ana")
    page.once("dialog", lambda dialog: dialog.accept("parody account"))
    target.locator("[data-testid=review-false_positive]").click()
    expect(target.locator("[data-testid=review-state]")).to_have_text("false_positive")
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
    serve_ui: Callable[[list[Hit]], str], browser_page: tuple[Page, list[str]]
) -> None:
    from playwright.sync_api import expect

    ui_url = serve_ui(seed_hits() + filler_hits(19))  # 25 hits: one page of 20, then 5 more
    page, _ = browser_page
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
