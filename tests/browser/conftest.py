"""Fixtures for the analyst UI in headless Chromium against the real Elasticsearch.

- `serve_ui(hits, encoder=None, catalog_topic=None)`: index `hits` under a fresh prefix and serve
  the UI on them (token `TOKEN`); returns the base URL. `encoder` stands in for the model behind
  /api/similar. With `catalog_topic`, the API follows that catalog topic as ``narrmon api`` does
  (`pipeline.api.server.follow_catalog`); the topic is deleted afterwards.
- `index_more(hits)`: add hits to the index the UI serves (for "new hits").
- `open_page(width)`: a headless Chromium page `width` px wide; page errors fail the test.

The hits carry fixed 4-dimensional vectors instead of model embeddings: these tests are about the
UI, not the model.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from playwright.sync_api import Page

from models.catalog import Catalog, Narrative
from models.records import Hit
from pipeline.api.app import create_app
from pipeline.api.service import HitService, TextEncoder
from pipeline.elastic.schema import ensure_hits_index, names
from pipeline.settings import Settings
from tests.unit.elastic.hits import index_hits

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
CLIPPING_JS = Path(__file__).with_name("clipping.js")
ServeUi = Callable[..., str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def ui_settings(settings: Settings, unique_name: str, tmp_path: Path) -> Settings:
    import json

    from pipeline.api.tokens import sha256_hex

    # TOKEN is ana's personal reviewer token: reviews are recorded under "ana"
    tokens = tmp_path / "tokens.json"
    tokens.write_text(
        json.dumps(
            {"tokens": [{"user": "ana", "roles": ["reviewer"], "sha256": sha256_hex(TOKEN)}]}
        )
    )
    return settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(
                update={"index_prefix": f"t-{unique_name}"}
            ),
            "api": settings.api.model_copy(update={"tokens_file": tokens}),
        }
    )


@pytest.fixture
def index_more(es: Elasticsearch, ui_settings: Settings) -> Callable[[Sequence[Hit]], None]:
    def add(hits: Sequence[Hit]) -> None:
        alias = ensure_hits_index(es, ui_settings, dims=4)
        index_hits(es, alias, hits)

    return add


@pytest.fixture
def serve_ui(
    es: Elasticsearch, ui_settings: Settings, index_more: Callable[[Sequence[Hit]], None]
) -> Iterator[ServeUi]:
    import uvicorn

    from pipeline.api.server import follow_catalog

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []
    readers: list[Any] = []
    topics: list[str] = []

    def start(
        hits: list[Hit], encoder: TextEncoder | None = None, catalog_topic: str | None = None
    ) -> str:
        index_more(hits)
        service = HitService(es, ui_settings, encoder=encoder, catalog_loader=lambda: CATALOG)
        if catalog_topic is not None:
            topics.append(catalog_topic)
            follows = ui_settings.model_copy(
                update={
                    "topics": ui_settings.topics.model_copy(update={"catalog": catalog_topic}),
                    "catalog": ui_settings.catalog.model_copy(update={"follow": True}),
                }
            )
            readers.extend(follow_catalog(follows, service))
        port = free_port()
        config = uvicorn.Config(
            create_app(ui_settings, service), host="127.0.0.1", port=port, log_level="warning"
        )
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
    for reader in readers:
        reader.stop()
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
    if topics:
        from kafka.admin import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=ui_settings.kafka.bootstrap.split(","))
        try:
            admin.delete_topics(topics)
        finally:
            admin.close()
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(ui_settings)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(
        name=names.hits_template_name(ui_settings)
    )


@pytest.fixture
def open_page() -> Iterator[Callable[[int], Page]]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
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

        def new_page(width: int = 1280) -> Page:
            page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            return page

        yield new_page
        browser.close()
    assert errors == []


def nothing_clipped(page: Page) -> list[str]:
    """Descriptions of visible elements that stick out of the window or of their card/drawer
    (empty when nothing is clipped)."""
    found: list[Any] = page.evaluate(CLIPPING_JS.read_text(encoding="utf-8"))
    return [str(x) for x in found]
