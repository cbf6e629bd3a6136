"""The live catalog on the real stack: a running worker and an API service switch to a catalog
published with ``narrmon catalog publish``; an invalid publish is refused and the old catalog
stays in use.

One scenario (its own topics, catalog topic, group, index prefix and metrics port): posts of a
narrative the worker's catalog does not have match nothing; after the publish, posts published
after the switch match it, and their hits carry the new catalog version.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from models.records import Post
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, by_label, settings_env, total
from tests.integration.test_pipeline_worker import (
    CATALOG,
    cleanup,
    make_posts,
    post_records,
    produce,
    scenario_settings,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NEW_NARRATIVE = """
  - id: drop-boxes-burned
    title: "Ballot drop boxes are being burned to destroy votes"
    severity: high
    exemplars:
      - "They are setting ballot drop boxes on fire to destroy our votes"
    keywords: [drop box, fire]
"""
NEW_TEXT = "They are setting ballot drop boxes on fire to destroy our votes, act now"


def _publish(settings: Settings, path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRMON_")}
    env |= settings_env(settings)
    command = [sys.executable, "-c", "from pipeline.cli import main; main()", "catalog"]
    return subprocess.run(
        [*command, "publish", str(path)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _catalog_version(samples: Any) -> str | None:
    versions = by_label(samples, "narrmon_catalog_info", "version")
    return next(iter(versions), None)


def _hits_of(es: Any, settings: Settings, post_ids: list[str]) -> list[dict[str, Any]]:
    from pipeline.elastic.schema.names import hits_alias

    alias = hits_alias(settings)
    es.indices.refresh(index=alias)
    found = es.search(index=alias, query={"terms": {"post.id": post_ids}}, size=100)
    return [h["_source"] for h in found["hits"]["hits"]]


def _posts(prefix: str, count: int) -> list[Post]:
    return [p.model_copy(update={"text": f"{NEW_TEXT} #{p.id}"}) for p in make_posts(count, prefix)]


def test_a_published_catalog_reaches_the_running_worker_and_the_api(
    stack: Settings, es: Any, tmp_path: Path
) -> None:
    from models.catalog import load_catalog
    from pipeline.api.server import build_service, follow_catalog

    base = scenario_settings(stack, tmp_path)
    settings = base.model_copy(
        update={
            "topics": base.topics.model_copy(update={"catalog": f"{base.worker.app_id}.catalog"})
        }
    )
    bootstrap = settings.kafka.bootstrap
    edited = tmp_path / "edited.yaml"
    edited.write_text(CATALOG.read_text() + NEW_NARRATIVE)
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(CATALOG.read_text() + NEW_NARRATIVE.replace("high", "urgent"))
    old_version = load_catalog(CATALOG).version
    new_version = load_catalog(edited).version
    service = build_service(settings, publish_reviews=False)
    readers = follow_catalog(settings, service)
    worker = WorkerProcess(settings, settings.state_dir / "worker.log")
    try:
        worker.start()
        assert _catalog_version(worker.wait_ready()) == old_version
        before = _posts("before", 3)
        produce(bootstrap, settings.topics.posts, post_records(before))
        wait_for(worker, lambda s: total(s, "narrmon_posts_processed_total") >= 3)
        assert all(
            h["narrative"]["id"] != "drop-boxes-burned"
            for h in _hits_of(es, settings, [p.id for p in before])
        )

        published = _publish(settings, edited)
        assert published.returncode == 0, published.stderr
        assert f"version {new_version}" in published.stdout
        wait_for(worker, lambda s: _catalog_version(s) == new_version, timeout_s=60)

        after = _posts("after", 3)
        produce(bootstrap, settings.topics.posts, post_records(after))
        samples = wait_for(
            worker,
            lambda s: (
                total(s, "narrmon_hits_total", narrative="drop-boxes-burned") >= 3
                and total(s, "narrmon_hits_indexed_total") >= total(s, "narrmon_hits_total")
            ),
        )
        hits = [
            h
            for h in _hits_of(es, settings, [p.id for p in after])
            if h["narrative"]["id"] == "drop-boxes-burned"
        ]
        assert len(hits) == 3
        assert {h["catalog_version"] for h in hits} == {new_version}
        assert {h["explanation"]["catalog_version"] for h in hits} == {new_version}
        assert total(samples, "narrmon_catalog_updates_total", outcome="switched") == 1

        deadline = time.monotonic() + 30
        while service.catalog().version != new_version and time.monotonic() < deadline:
            time.sleep(0.2)
        assert service.catalog().version == new_version
        assert "drop-boxes-burned" in {row["id"] for row in service.narratives()["narratives"]}

        refused = _publish(settings, invalid)
        assert refused.returncode == 1
        assert f"{invalid}:" in refused.stderr and "severity" in refused.stderr
        again = _posts("again", 2)
        produce(bootstrap, settings.topics.posts, post_records(again))
        samples = wait_for(
            worker, lambda s: total(s, "narrmon_hits_total", narrative="drop-boxes-burned") >= 5
        )
        assert _catalog_version(samples) == new_version
        assert service.catalog().version == new_version
    finally:
        for reader in readers:
            reader.stop()
        worker.stop()
        cleanup(es, settings, bootstrap)
