"""Reviews feeding back, against real Elasticsearch: the review-stats writer the worker's reviews
agent uses, the narrative panel's precision in the API, and ``narrmon catalog suggest``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from pipeline.settings import Settings
from tests.integration.test_api_review import AUTH, reviewing, reviews_topic  # noqa: F401

pytestmark = pytest.mark.integration

CATALOG = """narratives:
  - id: n-rigged
    title: Machines rigged
    severity: high
    exemplars:
      - "The voting machines were rigged to flip votes"
"""


def _recompute(settings: Settings, narratives: list[str]) -> list[dict[str, object]]:
    from pipeline.elastic.client import make_async_client
    from pipeline.elastic.review_stats import ReviewStatsWriter

    async def run() -> list[dict[str, object]]:
        client = make_async_client(settings)
        try:
            return await ReviewStatsWriter(client, settings).recompute(narratives)
        finally:
            await client.close()

    return asyncio.run(run())


def test_precision_reaches_the_narrative_panel_and_suggest_diffs_the_catalog(
    reviewing: tuple[TestClient, Settings],  # noqa: F811
    es: Elasticsearch,
    tmp_path: Path,
) -> None:
    api, mine = reviewing
    labels = {"bsky:1": "confirmed", "mastodon:3": "false_positive", "bsky:6": "confirmed"}
    for post, label in labels.items():
        done = api.post(f"/api/hits/{post}:n-rigged/review", json={"label": label}, headers=AUTH)
        assert done.status_code == 200, done.text
    assert api.get("/api/narratives").json()["narratives"][0]["reviews"] is None

    docs = _recompute(mine, ["n-rigged", "n-dead-voters"])
    assert [(d["narrative_id"], d["judged"], d["precision"]) for d in docs] == [
        ("n-rigged", 3, pytest.approx(2 / 3)),
        ("n-dead-voters", 0, None),
    ]
    rows = {r["id"]: r for r in api.get("/api/narratives").json()["narratives"]}
    assert rows["n-rigged"]["reviews"]["counts"]["false_positive"] == 1
    assert rows["n-rigged"]["reviews"]["precision"] == pytest.approx(2 / 3)
    # recomputing is idempotent: a redelivered event changes nothing
    assert _recompute(mine, ["n-rigged"])[0]["counts"] == docs[0]["counts"]

    from pipeline.cli import main
    from pipeline.worker_process import settings_env

    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    result = CliRunner().invoke(
        main, ["catalog", "suggest", str(catalog), "--min-judged", "3"], env=settings_env(mine)
    )
    assert result.exit_code == 0, result.output
    assert '+      - "Machines rigged, they flipped the votes overnight"' in result.stdout
    assert '+      - "People are talking about rigged machines again"' in result.stdout
    assert "+    threshold: 0.88" in result.stdout  # drops the false positive at 0.65
    assert catalog.read_text() == CATALOG  # never applied
