"""The analyst API's read side against the real Elasticsearch: search with highlights, filters,
pagination, aggregations, narratives, 404/400, protected reads, export and 503 when ES is down."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from pydantic import SecretStr

from models.catalog import Catalog, Narrative
from pipeline.api.app import create_app
from pipeline.api.service import HitService
from pipeline.elastic.schema import ensure_hits_index, hits_alias, names
from pipeline.settings import Settings
from tests.unit.elastic.hits import index_hits, seed_hits

pytestmark = pytest.mark.integration

CATALOG = Catalog(
    name="test",
    narratives=(
        Narrative(id="n-rigged", title="Machines rigged", severity="high", exemplars=("x",)),
        Narrative(id="n-dead-voters", title="Dead voters", exemplars=("y",)),
        Narrative(id="n-quiet", title="Never seen", exemplars=("z",)),
    ),
)


def isolated(settings: Settings, name: str, **api: Any) -> Settings:
    es = settings.elasticsearch.model_copy(update={"index_prefix": f"t-{name}".lower()})
    return settings.model_copy(
        update={"elasticsearch": es, "api": settings.api.model_copy(update=api)}
    )


@pytest.fixture
def seeded(es: Elasticsearch, settings: Settings, unique_name: str) -> Iterator[Settings]:
    mine = isolated(settings, unique_name, token=SecretStr("s3cret"))
    alias = ensure_hits_index(es, mine, dims=4)
    index_hits(es, alias, seed_hits())
    yield mine
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(mine)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


def client_for(es: Elasticsearch, settings: Settings) -> TestClient:
    service = HitService(es, settings, catalog_loader=lambda: CATALOG)
    return TestClient(create_app(settings, service))


@pytest.fixture
def api(es: Elasticsearch, seeded: Settings) -> TestClient:
    return client_for(es, seeded)


def ids(body: dict[str, Any]) -> list[str]:
    return [h["id"] for h in body["hits"]]


def test_text_search_highlights_and_explains(api: TestClient) -> None:
    body = api.get("/api/search", params={"q": "flipped votes"}).json()
    assert set(ids(body)) == {"bsky:2:n-rigged", "bsky:6:n-rigged"}
    assert body["total"] == 2
    first = body["hits"][0]
    assert any("<mark>flipped</mark>" in f for f in first["highlight"]["post.text"])
    assert first["explanation"]["summary"].startswith("close to exemplar")
    assert first["fields"]["narrative.id"] == "n-rigged"
    assert "embedding" not in first["fields"]


def test_highlights_escape_html_in_posts(api: TestClient) -> None:
    (hit,) = api.get("/api/search", params={"q": "decided"}).json()["hits"]
    assert hit["highlight"]["post.text"] == [
        "Dead voters &lt;b&gt;<mark>decided</mark>&lt;&#x2F;b&gt; the election"
    ]


def test_filters(api: TestClient) -> None:
    def search(**params: Any) -> list[str]:
        return ids(api.get("/api/search", params={"sort": "oldest", **params}).json())

    assert search(platform="mastodon") == ["mastodon:3:n-rigged", "mastodon:4:n-dead-voters"]
    assert search(narrative="n-dead-voters", platform=["telegram"]) == ["telegram:5:n-dead-voters"]
    assert search(stance="debunks") == ["bsky:2:n-rigged"]
    assert search(severity="medium", author="bob.example") == ["mastodon:4:n-dead-voters"]
    assert search(domain="factcheck.example.org") == ["bsky:2:n-rigged"]
    assert len(search(since="2025-03-03", until="2025-03-03T23:59:59Z")) == 2
    assert search(min_score=0.85) == ["bsky:1:n-rigged", "bsky:6:n-rigged"]
    assert len(search(review="unreviewed")) == 6
    assert search(since="1h") == []  # relative: the seed hits are from 2025


def test_sorts_and_cursor_pagination(api: TestClient) -> None:
    by_score = ids(api.get("/api/search", params={"sort": "score", "size": 100}).json())
    assert by_score[:2] == ["bsky:1:n-rigged", "bsky:6:n-rigged"]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"sort": "newest", "size": 4}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/search", params=params).json()
        seen += ids(page)
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))
    assert seen[0] == "bsky:6:n-rigged" and seen[-1] == "bsky:1:n-rigged"


def test_aggregations(api: TestClient) -> None:
    body = api.get("/api/aggregations", params={"interval": "day"}).json()
    assert body["total"] == 6
    assert {b["key"]: b["count"] for b in body["narratives"]} == {"n-rigged": 4, "n-dead-voters": 2}
    assert {b["key"]: b["count"] for b in body["platforms"]} == {
        "bluesky": 3,
        "mastodon": 2,
        "telegram": 1,
    }
    assert {b["key"]: b["count"] for b in body["stances"]} == {
        "promotes": 4,
        "debunks": 1,
        "discusses": 1,
    }
    assert [b["count"] for b in body["over_time"]] == [2, 2, 2]
    assert (
        body["authors"][0] == {"key": "alice.example", "count": 2}
        or body["authors"][0]["count"] == 2
    )
    assert {b["key"] for b in body["domains"]} == {"example.com", "factcheck.example.org"}
    filtered = api.get("/api/aggregations", params={"platform": "telegram"}).json()
    assert filtered["total"] == 1


def test_narratives_with_counts_and_trend(api: TestClient) -> None:
    body = api.get("/api/narratives", params={"days": 14}).json()
    rows = {r["id"]: r for r in body["narratives"]}
    assert rows["n-rigged"]["count"] == 4
    assert rows["n-quiet"]["count"] == 0
    assert len(rows["n-quiet"]["trend"]) == 14
    assert all(len(r["trend"]) == 14 for r in rows.values())


def test_hit_detail_and_404(api: TestClient) -> None:
    body = api.get("/api/hits/bsky:1:n-rigged").json()
    assert body["hit"]["explanation"]["best_exemplar"] == "Voting machines flipped votes"
    assert body["review"]["state"] == "unreviewed"
    assert body["history"] == []
    assert "embedding" not in body["hit"] and body["has_embedding"]
    missing = api.get("/api/hits/nope:1")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"size": 0}, "size"),
        ({"size": "many"}, "size"),
        ({"sort": "random"}, "sort"),
        ({"since": "yesterday-ish"}, "since"),
        ({"cursor": "garbage!!"}, "cursor"),
        ({"review": "maybe"}, "review"),
        ({"min_score": -1}, "min_score"),
        ({"min_score": 2}, "min_score"),
        ({"severity": "urgent"}, "severity"),
        ({"stance": "sarcastic"}, "stance"),
        ({"verdict": "true"}, "verdict"),
        ({"narrative": "nope"}, "narrative"),
        ({"narrative": "n-rigged,Bad Id"}, "narrative"),
        ({"platform": "blue sky"}, "platform"),
        ({"until": "2025-02-30"}, "until"),
        ({"sort": "reach"}, "sort"),
    ],
)
def test_invalid_parameters_are_400_naming_the_parameter(
    api: TestClient, params: dict[str, Any], parameter: str
) -> None:
    response = api.get("/api/search", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter


@pytest.mark.parametrize("path", ["/api/aggregations", "/api/export"])
def test_every_filtered_route_rejects_an_unknown_narrative(api: TestClient, path: str) -> None:
    response = api.get(path, params={"narrative": "nope"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "narrative"
    assert "nope" in response.json()["detail"]


def test_reach_sorts_and_post_filter(
    es: Elasticsearch, settings: Settings, unique_name: str
) -> None:
    from tests.unit.elastic.hits import index_hits, make_hit

    mine = isolated(settings, unique_name)
    alias = ensure_hits_index(es, mine, dims=4)
    hits = [
        make_hit(f"x:{i}", f"post {i}", embedding=[1.0, 0, 0, 0], followers=f, likes=lk, views=v)
        for i, (f, lk, v) in enumerate([(10, 5, None), (500, 1, 90), (None, 50, 10)])
    ]
    hits.append(make_hit("x:1", "post 1", narrative_id="n-dead-voters", embedding=[1.0, 0, 0, 0]))
    index_hits(es, alias, hits)
    try:
        api = client_for(es, mine)

        def order(**params: Any) -> list[str]:
            response = api.get("/api/search", params=params)
            assert response.status_code == 200, response.text
            return [h["fields"]["post.id"] for h in response.json()["hits"]]

        assert order(sort="followers", narrative="n-rigged") == ["x:1", "x:0", "x:2"]
        assert order(sort="likes", narrative="n-rigged") == ["x:2", "x:0", "x:1"]
        assert order(sort="views", narrative="n-rigged") == ["x:1", "x:2", "x:0"]
        both = api.get("/api/search", params={"post": "x:1"}).json()
        assert sorted(h["fields"]["narrative.id"] for h in both["hits"]) == [
            "n-dead-voters",
            "n-rigged",
        ]
        fields = api.get("/api/search", params={"post": "x:1", "narrative": "n-rigged"}).json()
        reach = fields["hits"][0]["fields"]
        assert (reach["post.author.followers"], reach["post.engagement.likes"]) == (500, 1)
        assert reach["post.engagement.views"] == 90
    finally:
        es.options(ignore_status=404).indices.delete(
            index=f"{names.prefix(mine)}-*", expand_wildcards="all"
        )
        es.options(ignore_status=404).indices.delete_index_template(
            name=names.hits_template_name(mine)
        )


def test_query_syntax_cannot_reach_raw_es(api: TestClient) -> None:
    # Lucene/regex/JSON-ish input is searched as text, never parsed as a query: no error, no hits.
    for q in ('{"match_all":{}}', "post.text:/.*/", "votes~2", "*:*"):
        response = api.get("/api/search", params={"q": q})
        assert response.status_code == 200, q
        assert response.json()["total"] <= 1, q


def test_protected_reads(es: Elasticsearch, seeded: Settings) -> None:
    protected = seeded.model_copy(
        update={"api": seeded.api.model_copy(update={"protect_reads": True})}
    )
    api = client_for(es, protected)
    assert api.get("/api/search").status_code == 401
    assert api.get("/api/search", headers={"Authorization": "Bearer nope"}).status_code == 403
    ok = api.get("/api/search", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json()["total"] == 6


def test_export_csv_and_jsonl_are_bounded(es: Elasticsearch, seeded: Settings) -> None:
    small = seeded.model_copy(update={"api": seeded.api.model_copy(update={"export_max_rows": 5})})
    api = client_for(es, small)
    response = api.get("/api/export", params={"format": "csv", "platform": "bluesky"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in rows] == ["bsky:6:n-rigged", "bsky:2:n-rigged", "bsky:1:n-rigged"]
    assert rows[0]["narrative.title"] == "Machines rigged"
    lines = api.get("/api/export", params={"format": "jsonl"}).text.splitlines()
    assert len(lines) == 5  # capped by api.export_max_rows
    assert "embedding" not in json.loads(lines[0])
    assert api.get("/api/export", params={"format": "xml"}).status_code == 400


def test_es_down_is_503_with_retry_after(settings: Settings, unique_name: str) -> None:
    dead = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)
    api = client_for(dead, isolated(settings, unique_name))
    response = api.get("/api/search")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"


def test_write_alias_is_what_the_pipeline_uses(seeded: Settings) -> None:
    assert hits_alias(seeded).endswith("-hits")
