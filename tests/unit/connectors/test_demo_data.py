"""The bundled demo stream and the example catalog agree with each other and with the docs."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from connectors.jsonl import JsonlConnector
from connectors.replay import replay

from .conftest import ListSink

CATALOG = Path(__file__).resolve().parents[3] / "models" / "catalogs" / "election-2024.yaml"
SHARED_SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"


def load_posts(demo_dir: Path) -> list[dict[str, object]]:
    lines = (demo_dir / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_every_demo_post_is_published_with_the_default_mapping(
    demo_dir: Path, sink: ListSink
) -> None:
    summary = replay(
        JsonlConnector([demo_dir / "posts.jsonl"], source="demo"), sink, max_chars=20_000
    )
    assert 150 <= summary.read <= 250
    assert summary.dead_lettered == 0
    assert len({p.id for p in sink.posts}) == summary.published == summary.read
    assert {p.platform for p in sink.posts} == {"x", "bluesky", "mastodon", "reddit", "telegram"}
    assert all(p.language for p in sink.posts)
    replies = [p for p in sink.posts if p.references.reply_to]
    ids = {p.id for p in sink.posts}
    assert replies and all(p.references.reply_to in ids for p in replies)


def test_posts_are_ordered_and_span_one_to_two_hours(demo_dir: Path) -> None:
    times = [datetime.fromisoformat(str(p["created_at"])) for p in load_posts(demo_dir)]
    assert times == sorted(times)
    assert timedelta(hours=1) <= times[-1] - times[0] <= timedelta(hours=2)


def test_every_narrative_is_promoted_and_debunked_and_most_posts_are_chatter(
    demo_dir: Path,
) -> None:
    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    narrative_ids = {n["id"] for n in catalog["narratives"]}
    assert len(narrative_ids) >= 8
    posts = load_posts(demo_dir)
    labels = Counter(
        (p["demo_label"]["narrative"], p["demo_label"].get("stance"))  # type: ignore[index,union-attr]
        for p in posts
    )
    for narrative in narrative_ids:
        assert labels[(narrative, "promotes")] >= 3, narrative
        assert labels[(narrative, "debunks")] >= 3, narrative
    labelled = {n for n, _ in labels if n is not None}
    assert labelled <= narrative_ids
    chatter = labels[(None, None)]
    assert chatter > max(count for key, count in labels.items() if key != (None, None))
    assert chatter > len(posts) / 3


def test_one_burst_of_distinct_authors_within_two_minutes(demo_dir: Path) -> None:
    burst = [p for p in load_posts(demo_dir) if p["demo_label"].get("burst")]  # type: ignore[union-attr]
    assert 15 <= len(burst) <= 25
    assert len({p["demo_label"]["narrative"] for p in burst}) == 1  # type: ignore[index]
    assert len({p["author"]["handle"] for p in burst}) == len(burst)  # type: ignore[index]
    times = sorted(datetime.fromisoformat(str(p["created_at"])) for p in burst)
    assert times[-1] - times[0] <= timedelta(minutes=2)


def test_catalog_entries_follow_the_schema_basics() -> None:
    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    assert catalog["catalog"] == "election-2024"
    for narrative in catalog["narratives"]:
        assert narrative["verdict"] in {"false", "misleading", "unproven", "harmful"}
        assert narrative["severity"] in {"low", "medium", "high", "critical"}
        # enough phrasings to match and to read stance; the caps keep the example a curated set
        # (exemplars grow with the voices posts use), not a dump of posts
        assert 4 <= len(narrative["exemplars"]) <= 24, narrative["id"]
        assert 2 <= len(narrative["counter_exemplars"]) <= 12, narrative["id"]
        assert narrative["summary"] and narrative["why_tracked"]
    doxxing = next(n for n in catalog["narratives"] if "doxx" in n["id"])
    assert (doxxing["verdict"], doxxing["severity"]) == ("harmful", "critical")


def test_articles_are_the_seed_files_verbatim(demo_dir: Path) -> None:
    bundled = sorted((demo_dir / "articles").glob("*.txt"))
    assert len(bundled) == 5
    if SHARED_SEEDS.is_dir():  # the shared folder sits beside the checkout in dev and CI
        for path in bundled:
            assert path.read_bytes() == (SHARED_SEEDS / path.name).read_bytes()
