"""RSS/Atom: recorded feeds -> item records -> article posts; feeds files; the checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.live.rss import RssOptions, RssSource, read_feeds_file
from connectors.live.rss_frames import FeedError, encode_item, item_id, normalise_item, parse_feed
from connectors.live.source import SourceRejected
from connectors.size import enforce_size
from models.errors import InvalidRecord
from models.records import Post
from tests.live_frames import FRAMES

NOW = datetime(2024, 11, 7, tzinfo=UTC)
URL = "https://elections.example/feed.xml"


def items(name: str) -> list[dict[str, object]]:
    return parse_feed((FRAMES / name).read_bytes(), URL)


def post_of(item: dict[str, object]) -> Post:
    (post,) = normalise_item(encode_item(item), source="rss", received_at=NOW).outputs
    assert isinstance(post, Post)
    return post


def test_rss_items_come_oldest_first_with_guid_or_link_as_key() -> None:
    found = items("feed.rss")
    assert [i["guid"] for i in found] == [
        None,
        "https://elections.example/results",
        "elections-example-2024-100",
        "elections-example-2024-101",
    ]


def test_an_item_becomes_an_article_post_with_html_stripped() -> None:
    post = post_of(items("feed.rss")[2])
    assert post.id == item_id("elections-example-2024-100") and post.platform == "web"
    assert post.title == "Drop boxes closed at 8 p.m."
    assert (
        post.text
        == "All drop boxes closed at 8 p.m. Ballots inside were collected by bipartisan teams."
    )
    assert post.url == "https://elections.example/news/drop-boxes"
    assert post.created_at == datetime(2024, 11, 6, 2, tzinfo=UTC)
    assert post.language == "en"


def test_an_item_with_only_a_title_uses_it_as_text() -> None:
    post = post_of(items("feed.rss")[1])
    assert post.text == "Results page" and post.created_at == datetime(2024, 11, 5, 20, tzinfo=UTC)


def test_a_long_article_is_split_into_parts_by_the_article_rule() -> None:
    post = post_of(items("feed.rss")[3])
    parts = enforce_size(post, 5_000, "split")
    assert len(parts) == 3 and all(len(p.text) <= 5_000 for p in parts)
    assert [p.id for p in parts] == [f"{post.id}#p{i}" for i in range(3)]
    assert all(p.title == "Certification timeline explained" for p in parts)


def test_an_item_without_anything_is_invalid() -> None:
    with pytest.raises(InvalidRecord) as caught:
        normalise_item(encode_item(items("feed.rss")[0]), source="rss", received_at=NOW)
    assert caught.value.reason == "schema_error"
    item = dict(items("feed.rss")[1], title=None)
    with pytest.raises(InvalidRecord) as caught:
        normalise_item(encode_item(item), source="rss", received_at=NOW)
    assert caught.value.reason == "missing_text"


def test_an_atom_entry_in_spanish() -> None:
    (entry,) = items("feed.atom")
    post = post_of(entry)
    assert post.language == "es" and post.title.startswith("Las máquinas")  # type: ignore[union-attr]
    assert post.text.startswith("Cada máquina se prueba")
    assert post.author.display_name == "Redacción"


def test_a_body_that_is_not_a_feed_is_refused() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>Service unavailable</body></html>", URL)


def test_feeds_files_give_per_feed_intervals_and_fail_with_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "feeds.txt"
    good.write_text("# feeds\nhttps://a.example/rss\nhttps://b.example/atom 60  # hourly-ish\n")
    assert read_feeds_file(good, 300) == {
        "https://a.example/rss": 300,
        "https://b.example/atom": 60,
    }
    bad = tmp_path / "bad.txt"
    bad.write_text("https://a.example/rss\nftp://nope\n")
    with pytest.raises(SourceRejected, match=r"bad\.txt:2"):
        read_feeds_file(bad, 300)


def test_the_checkpoint_keeps_validators_and_a_bounded_seen_set() -> None:
    source = RssSource(RssOptions(feeds=(URL,), max_seen=10), source="rss")
    for n in range(15):
        source.advance({"feed": URL, "guid": f"g{n}"})
    source.advance({"feed": URL, "etag": '"v2"', "modified": "Wed, 06 Nov 2024 15:00:00 GMT"})
    state = source.checkpoint()
    assert state["feeds"][URL]["seen"] == [f"g{n}" for n in range(5, 15)]
    restored = RssSource(RssOptions(feeds=(URL,)), source="rss")
    restored.restore(state)
    assert restored.checkpoint() == state


def test_options_need_a_feed() -> None:
    with pytest.raises(ValueError, match="at least one feed"):
        RssOptions()
