"""Article parsing on the real seed files, HTML parsing, stable ids and the split rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.article_parsing import parse_html_article, parse_text_article
from connectors.articles import ArticleConnector, article_id
from connectors.base import RawItem
from connectors.replay import replay
from models.errors import InvalidRecord

from .conftest import NOW, ListSink

SEEDS = {
    "000_28d172a8c1a3df7d.txt": (None, datetime(2024, 11, 3, tzinfo=UTC), "Now that it's clear"),
    "001_b7c017c11294977e.txt": (None, datetime(2024, 11, 11, tzinfo=UTC), "Since Donald Trump"),
    "002_6b6fd98608763c8a.txt": (
        "The people's voice of reason",
        datetime(2024, 8, 13, tzinfo=UTC),
        "(August 13, 2024) President Trump",
    ),
    "003_a7328bbeb998593a.txt": (None, datetime(2024, 10, 25, tzinfo=UTC), "The Department"),
    "004_7af22655df1672c2.txt": (
        "Smoking Gun Docs Prove Tech Conspiracy To Flip Elections",
        None,
        "Judicial Watch with Tom Fitton",
    ),
}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_articles_title_date_and_body(demo_dir: Path, name: str) -> None:
    title, date, start = SEEDS[name]
    parsed = parse_text_article((demo_dir / "articles" / name).read_text(encoding="utf-8"))
    assert parsed.title == title
    assert parsed.published_at == date
    assert parsed.body.startswith(start)
    assert "date 2024" not in parsed.body[:20]


def test_seed_articles_become_web_posts_with_content_ids(demo_dir: Path, sink: ListSink) -> None:
    connector = ArticleConnector([demo_dir / "articles"], source="seeds", clock=lambda: NOW)
    summary = replay(connector, sink, max_chars=20_000)
    assert summary.read == 5 and summary.published == 5 and summary.dead_lettered == 0
    for post, name in zip(sink.posts, sorted(SEEDS), strict=True):
        content = (demo_dir / "articles" / name).read_bytes()
        assert post.id == article_id(content)
        assert post.id.startswith("web:") and len(post.id) == 4 + 16
        assert post.platform == "web"
        assert post.language == "en"
        assert post.title == SEEDS[name][0]
    undated = sink.posts[4]
    assert undated.created_at == datetime.fromtimestamp(
        (demo_dir / "articles" / "004_7af22655df1672c2.txt").stat().st_mtime, tz=UTC
    )


def test_article_id_is_the_content_hash_not_the_path(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Title line\n\nBody text here.", encoding="utf-8")
    b.write_text("Title line\n\nBody text here.", encoding="utf-8")
    connector = ArticleConnector([a, b], source="t", clock=lambda: NOW)
    ids = {connector.normalise(item).id for item in connector.items()}
    assert len(ids) == 1


HTML = """<!DOCTYPE html>
<html><head>
  <title>Drop box fire: what we know</title>
  <meta property="article:published_time" content="2024-10-28T15:30:00-07:00">
  <link rel="canonical" href="https://news.example/drop-box-fire">
  <style>p { color: red }</style><script>var tracking = "ignore me";</script>
</head><body>
  <nav>Home | Politics</nav>
  <article><h1>Drop box fire</h1>
    <p>Officials said ballots in the box
       were damaged.</p>
    <p>Voters can request a replacement&nbsp;ballot &amp; track it online.<br>Call the county.</p>
  </article>
</body></html>"""


def test_html_title_date_url_and_visible_text() -> None:
    parsed = parse_html_article(HTML)
    assert parsed.title == "Drop box fire: what we know"
    assert parsed.published_at == datetime(2024, 10, 28, 22, 30, tzinfo=UTC)
    assert parsed.url == "https://news.example/drop-box-fire"
    assert parsed.body == (
        "Drop box fire\n\nOfficials said ballots in the box were damaged.\n\n"
        "Voters can request a replacement ballot & track it online.\nCall the county."
    )


def test_html_file_becomes_a_post(tmp_path: Path) -> None:
    path = tmp_path / "story.html"
    path.write_text(HTML, encoding="utf-8")
    connector = ArticleConnector([path], source="t", clock=lambda: NOW)
    post = connector.normalise(next(connector.items()))
    assert post.title == "Drop box fire: what we know"
    assert post.url == "https://news.example/drop-box-fire"
    assert post.created_at == datetime(2024, 10, 28, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"\xff\xfe not utf-8", "invalid_utf8"), (b"  \n\n ", "missing_text")],
)
def test_bad_articles_are_rejected(data: bytes, reason: str) -> None:
    connector = ArticleConnector([], source="t", clock=lambda: NOW)
    with pytest.raises(InvalidRecord) as caught:
        connector.normalise(RawItem(data=data, origin="x.txt"))
    assert caught.value.reason == reason


def test_long_articles_are_split_into_parts(demo_dir: Path, sink: ListSink) -> None:
    path = demo_dir / "articles" / "002_6b6fd98608763c8a.txt"
    connector = ArticleConnector([path], source="t", clock=lambda: NOW)
    whole = connector.normalise(next(connector.items()))
    summary = replay(connector, sink, max_chars=2_000)
    count = summary.published
    assert count == summary.parts >= 4
    for index, part in enumerate(sink.posts):
        assert part.id == f"{whole.id}#p{index}"
        assert part.part is not None
        assert (part.part.parent_id, part.part.index, part.part.count) == (whole.id, index, count)
        assert len(part.text) <= 2_000
        assert part.title == whole.title and part.created_at == whole.created_at
    # Cut at paragraph (line) boundaries: every part starts where a line of the article starts.
    lines = whole.text.split("\n")
    assert all(part.text.split("\n")[0] in lines for part in sink.posts)
    assert "".join(p.text for p in sink.posts).replace("\n", "") == whole.text.replace("\n", "")
