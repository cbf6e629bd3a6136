"""``POST /api/similar`` with the pipeline's real embedding model against the real Elasticsearch:
hits are indexed with real post embeddings and the nearest one in meaning comes first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient

from models.matching.embedder import Embedder
from pipeline.api.app import create_app
from pipeline.api.service import HitService
from pipeline.elastic.schema import ensure_hits_index, names
from pipeline.settings import Settings
from tests.unit.elastic.hits import index_hits, make_hit

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEXTS = {
    "bsky:machines": "The voting machines secretly switched ballots to the other candidate",
    "bsky:dead": "Thousands of dead people are still on the rolls and voted",
    "bsky:weather": "Lovely sunny afternoon at the beach with the kids",
}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    model = Embedder()
    model.warm_up()
    return model


@pytest.fixture
def api(
    es: Elasticsearch, settings: Settings, unique_name: str, embedder: Embedder
) -> Iterator[TestClient]:
    mine = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(
                update={"index_prefix": f"t-{unique_name}"}
            )
        }
    )
    vectors = embedder.encode(list(TEXTS.values()))
    alias = ensure_hits_index(es, mine, dims=int(vectors.shape[1]))
    hits = [
        make_hit(post_id, text, embedding=[float(x) for x in vector])
        for (post_id, text), vector in zip(TEXTS.items(), vectors, strict=True)
    ]
    index_hits(es, alias, hits)
    yield TestClient(create_app(mine, HitService(es, mine, encoder=embedder)))
    es.options(ignore_status=404).indices.delete(
        index=f"{names.prefix(mine)}-*", expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=names.hits_template_name(mine))


def test_similar_ranks_by_meaning(api: TestClient) -> None:
    response = api.post("/api/similar", json={"text": "the machines flipped votes", "size": 3})
    assert response.status_code == 200, response.text
    ranked = [h["id"] for h in response.json()["hits"]]
    assert ranked[0] == "bsky:machines:n-rigged"
    assert ranked[-1] == "bsky:weather:n-rigged"
    assert api.post("/api/similar", json={"text": ""}).json()["parameter"] == "text"
