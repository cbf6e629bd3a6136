from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from models.catalog.loading import load_catalog
from models.signals.drafts import to_draft_narrative
from models.signals.emerging import (
    EmergingConfig,
    StoredPost,
    UnmatchedStore,
    bursty,
    find_candidates,
    growth,
    sustained,
    top_terms,
)

T0 = datetime(2024, 11, 5, 12, tzinfo=UTC)
DIMS = 64


def _vector(rng: np.random.Generator, centre: int | None) -> np.ndarray:
    v = rng.normal(0, 0.05 if centre is not None else 1.0, DIMS)
    if centre is not None:
        v[centre] += 1.0
    return (v / np.linalg.norm(v)).astype(np.float32)


def _stream(rng: np.random.Generator) -> list[StoredPost]:
    """Three hours of diffuse chatter plus a steady topic, and a new tight topic in the last 20
    minutes from 12 accounts."""
    posts = []
    for i in range(300):
        at = T0 + timedelta(seconds=float(rng.uniform(0, 3 * 3600)))
        posts.append(StoredPost(f"c{i}", at, f"u{i}", "x", f"chatter {i}", _vector(rng, None)))
    for i in range(30):
        at = T0 + timedelta(seconds=float(rng.uniform(0, 3 * 3600)))
        posts.append(
            StoredPost(f"s{i}", at, f"s{i}", "x", "weather is sunny today", _vector(rng, 1))
        )
    for i in range(20):
        at = T0 + timedelta(hours=3, minutes=-20 + i)
        text = f"the mail plant is holding ballots number {i}"
        posts.append(StoredPost(f"n{i}", at, f"n{i % 12}", ["x", "bluesky"][i % 2], text,
                                _vector(rng, 5)))  # fmt: skip
    return sorted(posts, key=lambda p: p.created_at)


def test_a_new_tight_topic_is_one_candidate_and_a_steady_topic_is_not() -> None:
    store = UnmatchedStore(EmergingConfig())
    for post in _stream(np.random.default_rng(7)):
        store.add(post)
    candidates = find_candidates(store, T0 + timedelta(hours=3))
    assert len(candidates) == 1
    candidate = candidates[0]
    new = {f"n{i}" for i in range(20)}
    # HDBSCAN may attach a few isolated chatter points to the nearest cluster
    assert new <= set(candidate.post_ids)
    assert len(new) / candidate.size >= 0.8
    assert candidate.authors >= 12
    assert candidate.platforms == ("bluesky", "x")
    assert candidate.growth >= 3.0
    assert "mail" in candidate.top_terms and "ballots" in candidate.top_terms
    assert len(candidate.representatives) == 5


def test_store_is_bounded_and_expires() -> None:
    store = UnmatchedStore(EmergingConfig(max_posts=10, retention=timedelta(hours=1)))
    rng = np.random.default_rng(1)
    for i in range(30):
        store.add(StoredPost(f"p{i}", T0 + timedelta(minutes=i), "a", "x", "t", _vector(rng, 0)))
    assert len(store) == 10
    store.expire(T0 + timedelta(hours=2))
    assert len(store) == 0


def test_sampling_is_deterministic_by_post_id() -> None:
    a = UnmatchedStore(EmergingConfig(sample_rate=0.3))
    b = UnmatchedStore(EmergingConfig(sample_rate=0.3))
    ids = [f"post-{i}" for i in range(1000)]
    kept = [a.sampled(i) for i in ids]
    assert kept == [b.sampled(i) for i in ids]
    assert 200 < sum(kept) < 400


def test_top_terms_prefer_words_distinctive_of_the_cluster() -> None:
    terms = top_terms([["ballots held at the mail plant", "mail plant ballots"],
                       ["sunny weather today", "weather sunny"]], 2)  # fmt: skip
    assert set(terms[0]) <= {"mail", "plant", "ballots", "mail plant", "plant ballots"}
    assert "weather" in terms[1] or "sunny" in terms[1]


def test_draft_narrative_is_a_valid_catalog_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = UnmatchedStore(EmergingConfig())
    for post in _stream(np.random.default_rng(7)):
        store.add(post)
    (candidate,) = find_candidates(store, T0 + timedelta(hours=3))
    path = tmp_path / "draft.yaml"
    path.write_text(to_draft_narrative(candidate), encoding="utf-8")
    catalog = load_catalog(path)
    (narrative,) = catalog.narratives
    assert narrative.id.startswith("draft-20241105-")
    assert narrative.status == "retired" and narrative.verdict == "unproven"
    assert narrative.exemplars == tuple(dict.fromkeys(p.text for p in candidate.representatives))
    assert "draft" in narrative.tags


def test_clusters_whose_centroids_agree_are_joined_and_others_are_not() -> None:
    from models.signals.cluster_joins import merge_by_centroid

    rng = np.random.default_rng(3)
    base = np.zeros(DIMS)
    base[0] = 1.0
    halves = []
    for axis in (1, 2):  # two wordings of one claim: a shared direction plus their own
        v = base + 0.6 * np.eye(DIMS)[axis] + rng.normal(0, 0.02, (5, DIMS))
        halves.append(v)
    other = np.eye(DIMS)[9] + rng.normal(0, 0.02, (5, DIMS))
    vectors = np.vstack([*halves, other]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = np.repeat(np.array([0, 1, 2], dtype=np.int64), 5)
    merged = merge_by_centroid(vectors, labels, similarity=0.7, min_posts=3)
    assert merged.tolist() == [0] * 10 + [2] * 5
    assert (
        merge_by_centroid(vectors, labels, similarity=0.99, min_posts=3).tolist() == labels.tolist()
    )
    assert (
        merge_by_centroid(vectors, labels, similarity=0.7, min_posts=6).tolist() == labels.tolist()
    )


def _family(rng: np.random.Generator, axis: int, n: int) -> np.ndarray:
    """`n` noisy posts sharing direction 0 with a wording of their own (`axis`): pairs across two
    families are farther apart than the clustering threshold, their centroids are not."""
    v = np.eye(DIMS)[0] + 0.6 * np.eye(DIMS)[axis] + rng.normal(0, 0.9 / np.sqrt(DIMS), (n, DIMS))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _steady_topic_and_burst(rng: np.random.Generator) -> list[StoredPost]:
    posts = []
    for i, vector in enumerate(_family(rng, 1, 30)):  # the same topic all afternoon
        at = T0 + timedelta(seconds=float(rng.uniform(0, 3 * 3600)))
        posts.append(StoredPost(f"s{i}", at, f"s{i}", "x", "mail ballots counted late", vector))
    for i, vector in enumerate(_family(rng, 2, 20)):  # a new claim in the last 20 minutes
        at = T0 + timedelta(hours=3, minutes=-20 + i)
        posts.append(StoredPost(f"n{i}", at, f"n{i % 12}", "x", "ballots shredded", vector))
    for i in range(200):
        at = T0 + timedelta(seconds=float(rng.uniform(0, 3 * 3600)))
        posts.append(StoredPost(f"c{i}", at, f"u{i}", "x", f"chatter {i}", _vector(rng, None)))
    return sorted(posts, key=lambda p: p.created_at)


def test_a_burst_is_not_joined_to_steady_chatter_on_the_same_topic() -> None:
    config = EmergingConfig(merge_similarity=0.65, merge_bursty_only=True)
    store = UnmatchedStore(config)
    for post in _steady_topic_and_burst(np.random.default_rng(5)):
        store.add(post)
    now = T0 + timedelta(hours=3)
    (candidate,) = find_candidates(store, now, config)
    assert set(candidate.post_ids) == {f"n{i}" for i in range(20)}
    # merging every cluster joins the burst to the steady topic, whose past hides the growth
    assert find_candidates(store, now, replace(config, merge_bursty_only=False)) == []


def test_bursty_means_new_within_recent_or_growing() -> None:
    config = EmergingConfig(recent=timedelta(minutes=30), min_growth=5.0)
    minutes = 60.0
    assert bursty(np.array([5, 10, 20]) * minutes, config)  # all new: even three posts
    assert not bursty(np.array([5, 40, 70, 100, 130, 160]) * minutes, config)  # steady
    assert bursty(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 150]) * minutes, config)  # 10 vs 1
    assert growth(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 150]) * minutes, config) > 5.0


def test_stray_posts_join_the_closest_target_cluster_only_when_close_enough() -> None:
    from models.signals.cluster_joins import absorb_strays

    vectors = np.eye(4, dtype=np.float32)[[0, 0, 1, 1, 0, 1, 2, 0]]
    vectors[4] = np.array([0.8, 0.6, 0, 0], dtype=np.float32)  # near cluster 0
    vectors[5] = np.array([0.6, 0.8, 0, 0], dtype=np.float32)  # near cluster 1, not a target
    labels = np.array([0, 0, 1, 1, -1, -1, -1, -1], dtype=np.int64)
    strays = np.array([False] * 4 + [True, True, True, False])
    out = absorb_strays(vectors, labels, strays, targets={0}, similarity=0.75)
    # 4 joins 0; 5 is closer to 1 (not a target) and only 0.6 from 0; 6 is far; 7 is not a stray
    assert out.tolist() == [0, 0, 1, 1, 0, -1, -1, -1]
    assert absorb_strays(vectors, labels, strays, targets=set(), similarity=0.0).tolist() == (
        labels.tolist()
    )


def test_a_burst_must_have_been_growing_for_the_sustain_period() -> None:
    config = EmergingConfig(recent=timedelta(minutes=30), sustain=timedelta(minutes=10))
    minutes = 60.0
    steady = [20.0, 45, 70, 95, 120, 145, 170]  # one post every 25 minutes
    spike = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, *steady]) * minutes  # eight in 8 minutes
    assert growth(spike, config) >= config.min_growth
    assert not sustained(spike, config)  # ten minutes ago it was the steady topic
    growing = np.array([*range(1, 25, 2), *steady]) * minutes  # twelve over 24 minutes
    assert growth(growing, config) >= config.min_growth and sustained(growing, config)
    assert sustained(spike, replace(config, sustain=None))


def test_a_fresh_store_surfaces_nothing_until_it_spans_recent_and_sustain() -> None:
    config = EmergingConfig(recent=timedelta(minutes=30), sustain=timedelta(minutes=10))
    stream = _stream(np.random.default_rng(7))  # the new topic is in its last 20 minutes
    now = T0 + timedelta(hours=3)
    fresh, warm = UnmatchedStore(config), UnmatchedStore(config)
    for post in stream:
        if post.created_at >= now - timedelta(minutes=35):  # restarted 35 minutes ago
            fresh.add(post)
        if post.created_at >= now - timedelta(minutes=60):
            warm.add(post)
    assert find_candidates(fresh, now, config) == []
    (candidate,) = find_candidates(warm, now, config)
    assert {f"n{i}" for i in range(20)} <= set(candidate.post_ids)
