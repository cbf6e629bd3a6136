"""The analyst web UI in headless Chromium against the real Elasticsearch: search, filter, open
the explanation drawer, review with the token, and see the audit entry. Saves screenshots under
``test-artifacts/``.

The hits carry fixed 4-dimensional vectors instead of model embeddings: this test is about the UI,
which never needs the model (no /api/similar call).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch, helpers
from pydantic import SecretStr

from models.catalog import Catalog, Narrative
from pipeline.api.app import create_app
from pipeline.api.service import HitService
from pipeline.index import ensure_hits_index, hit_action, names
from pipeline.settings import Settings
from tests.unit.index.hits import seed_hits

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


@pytest.fixture
def ui_url(es: Elasticsearch, settings: Settings, unique_name: str) -> Iterator[str]:
    import uvicorn

    mine = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(
                update={"index_prefix": f"t-{unique_name}"}
            ),
            "api": settings.api.model_copy(update={"token": SecretStr(TOKEN)}),
        }
    )
    alias = ensure_hits_index(es, mine, dims=4)
    helpers.bulk(es, (hit_action(h, alias) for h in seed_hits()), refresh=True)
    app = create_app(mine, HitService(es, mine, catalog_loader=lambda: CATALOG))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(mine)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


def test_search_filter_explain_review_audit(ui_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

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
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
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
        browser.close()
    assert errors == []
