"""X filtered stream lines (recorded, documented format) -> posts; rules files and rules diff."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.live.source import SourceRejected
from connectors.live.x import X_BACKOFF
from connectors.live.x_frames import normalise_line, read_rules_file, rules_diff
from models.errors import InvalidRecord
from models.records import Post
from tests.live_frames import lines

NOW = datetime(2024, 11, 6, 16, tzinfo=UTC)
LINES = lines("x_stream.jsonl")


def post_of(data: bytes) -> Post:
    (post,) = normalise_line(data, source="x", received_at=NOW).outputs
    assert isinstance(post, Post)
    return post


def test_a_tweet_with_its_author_expansion_links_and_rules() -> None:
    post = post_of(LINES[0])
    assert post.id == "x:1854000000000000001"
    assert post.url == "https://x.com/CountyElections/status/1854000000000000001"
    assert post.author.handle == "CountyElections" and post.author.followers == 50210
    assert (post.engagement.likes, post.engagement.views) == (120, 9000)
    assert post.created_at == datetime(2024, 11, 6, 15, tzinfo=UTC) and post.language == "en"
    assert post.raw is not None
    assert post.raw["links"] == ["https://elections.example/certification"]
    assert post.raw["tags"] == ["Election2024"] and post.raw["rules"] == ["election-en"]


def test_a_retweet_is_a_repost_with_the_full_retweeted_text() -> None:
    post = post_of(LINES[1])
    assert post.references.repost_of == "x:1854000000000000001"
    assert post.text.endswith("#Election2024") and not post.text.startswith("RT")
    assert post.author.handle == "voter_123"


def test_operational_messages_publish_nothing() -> None:
    assert normalise_line(LINES[2], source="x", received_at=NOW).outputs == ()


def test_a_spanish_reply_that_quotes_and_replies_to_a_deleted_tweet() -> None:
    post = post_of(LINES[3])
    assert post.language == "es"
    assert post.references.reply_to == "x:1853999999999999999"
    assert post.references.quote_of == "x:1854000000000000001"


def test_an_undetermined_language_code_is_replaced_by_detection() -> None:
    assert post_of(LINES[4]).language == "es"  # X said "und"


@pytest.mark.parametrize(
    ("index", "reason"), [(0, "malformed_json"), (1, "schema_error"), (2, "schema_error")]
)
def test_bad_lines_raise_invalid_record(index: int, reason: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        normalise_line(lines("x_stream_bad.jsonl")[index], source="x", received_at=NOW)
    assert caught.value.reason == reason


def test_rules_file_and_the_diff_that_makes_the_stream_match_it(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text('- {value: "election lang:en", tag: election-en}\n- "ballot -is:retweet"\n')
    wanted = read_rules_file(path)
    assert wanted == [("election lang:en", "election-en"), ("ballot -is:retweet", None)]
    current = [
        {"id": "1", "value": "election lang:en", "tag": "election-en"},
        {"id": "2", "value": "old rule", "tag": None},
    ]
    assert rules_diff(wanted, current) == ([("ballot -is:retweet", None)], ["2"])
    path.write_text("- {tag: no-value}\n")
    with pytest.raises(SourceRejected, match="rule 0"):
        read_rules_file(path)


def test_reconnect_backoff_is_the_one_x_documents() -> None:
    assert [X_BACKOFF["network"].delay(n, rng=lambda: 0) for n in (0, 1, 100)] == [0.25, 0.5, 16]
    assert [X_BACKOFF["http"].delay(n, rng=lambda: 0) for n in (0, 1, 10)] == [5, 10, 320]
    assert X_BACKOFF["rate"].delay(0, rng=lambda: 0) == 60
