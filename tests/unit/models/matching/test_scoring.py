from __future__ import annotations

import numpy as np
import pytest

from models.matching.dense_index import ExemplarIndex
from models.matching.fusion import linear_fusion, reciprocal_rank_fusion
from models.matching.lexical import LexicalIndex
from models.matching.query import clean_post_text
from models.matching.stance import classify_stance


def test_linear_fusion_weights_and_bounds() -> None:
    fused = linear_fusion(np.array([0.8, 0.2]), np.array([0.0, 1.0]), 0.25)
    assert fused.tolist() == pytest.approx([0.6, 0.4])
    with pytest.raises(ValueError):
        linear_fusion(0.5, 0.5, 1.5)


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert [item for item, _ in fused][:2] in (["a", "b"], ["b", "a"])
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert {item for item, _ in fused} == {"a", "b", "c", "d"}


def test_lexical_scores_are_normalised_shares_of_the_query() -> None:
    index = LexicalIndex(["the election was stolen", "vaccines cause autism", "moon landing"])
    full = index.scores("stolen election")
    assert full[0] == pytest.approx(1.0)
    assert full[1] == 0.0
    half = index.scores("stolen pancakes")  # 'pancakes' is not indexed: ignored
    assert half[0] == pytest.approx(1.0)
    assert index.scores("nothing here").tolist() == [0.0, 0.0, 0.0]
    assert index.matched_terms("Vaccines and autism?", "vaccines cause autism") == [
        "vaccines",
        "autism",
    ]


def test_dense_index_max_aggregates_exemplars_per_narrative() -> None:
    vectors = np.eye(4, dtype=np.float32)
    index = ExemplarIndex(vectors, np.array([0, 0, 1, 2]))
    query = np.array([[0.0, 0.6, 0.8, 0.0]], dtype=np.float32)
    ids, scores = index.search(query, 2)
    assert ids.tolist() == [[1, 0]]
    assert scores[0].tolist() == pytest.approx([0.8, 0.6])
    exact, rows = index.narrative_scores(query[0], np.array([0, 2]))
    assert exact.tolist() == pytest.approx([0.6, 0.0])
    assert rows.tolist() == [1, 3]
    with pytest.raises(ValueError, match="contiguous"):
        ExemplarIndex(vectors, np.array([0, 1, 0, 2]))


def test_dense_index_ivf_agrees_with_exact_on_easy_data() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owners = np.repeat(np.arange(100), 3)
    exact = ExemplarIndex(vectors, owners)
    approx = ExemplarIndex(vectors, owners, exact_limit=10)
    assert approx.backend == "faiss-ivfpq"
    queries = vectors[::30] + 0.01
    assert approx.search(queries, 3)[0][:, 0].tolist() == exact.search(queries, 3)[0][:, 0].tolist()


def test_clean_post_text_strips_tweet_boilerplate() -> None:
    tweet = (
        "RT @someone: Illinois GOP bill attacks #singlemoms https://t.co/wDGczl94dF "
        "pic.twitter.com/abc — Morgan Fairchild (@morgfair) February 25, 2016"
    )
    assert clean_post_text(tweet) == "Illinois GOP bill attacks singlemoms"
    assert clean_post_text("https://t.co/only") == "https://t.co/only"


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("The election was stolen, share before they delete this", "promotes"),
        ("FACT CHECK: there is no evidence the election was stolen", "debunks"),
        ("This stolen election story has been debunked again", "debunks"),
        ("Is it true that the election was stolen?", "discusses"),
        ("Some people claim that the election was stolen, reportedly", "discusses"),
    ],
)
def test_stance_from_cues(post: str, expected: str) -> None:
    result = classify_stance(post, "The election was stolen", 0.8)
    assert result.stance == expected
    assert result.evidence


def test_stance_ignores_cues_that_belong_to_the_narrative() -> None:
    # the narrative itself says "fake": repeating it is promotion, not debunking
    result = classify_stance("The moon landing was fake!!", "The moon landing was fake", 0.9)
    assert result.stance == "promotes"


def test_stance_uses_counter_exemplars() -> None:
    result = classify_stance(
        "Recounts confirmed the result in every state",
        "The election was stolen",
        0.40,
        counter_exemplar="Recounts confirmed the election result",
        counter_score=0.85,
    )
    assert result.stance == "debunks"
    assert "counter-exemplar" in result.evidence


def test_finetune_batches_never_repeat_a_claim() -> None:
    import random

    from models.evaluation.finetune import _batches

    pairs = [(f"post {i}", f"claim {i % 3}") for i in range(9)]
    batches = _batches(pairs, 4, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(9))
    for batch in batches:
        claims = [pairs[i][1] for i in batch]
        assert len(claims) == len(set(claims)) <= 4


def test_unknown_terms_count_against_a_small_catalog() -> None:
    docs = ["the election was stolen", "vaccines cause autism", "moon landing"]
    index = LexicalIndex(docs, unknown_terms=True)
    assert index.scores("stolen election")[0] == pytest.approx(1.0)
    # 'pancakes' is in no narrative: it now dilutes the score instead of being ignored
    half = index.scores("stolen pancakes")[0]
    assert 0.3 < half < 0.7
    assert index.scores("stolen pancakes syrup waffles")[0] < half


def test_negated_debunk_cue_does_not_make_a_debunker() -> None:
    exemplar = "millions of ballots disappeared"
    assert classify_stance("Math doesn't lie: ballots disappeared", exemplar, 0.7).stance == (
        "promotes"
    )
    assert classify_stance("This is not a hoax, ballots vanished", exemplar, 0.7).stance == (
        "promotes"
    )
    assert classify_stance("Those are lies, nothing vanished", exemplar, 0.7).stance == "debunks"
