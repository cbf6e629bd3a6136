"""Regrouping the posts no cluster took (`cluster_joins.regroup_loose`), alone and in a round."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from models.signals.cluster_joins import regroup_loose
from models.signals.emerging import EmergingConfig, StoredPost, UnmatchedStore, find_candidates

T0 = datetime(2024, 11, 5, 12, tzinfo=UTC)
DIMS = 256


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _fragmented(rng: np.random.Generator, axis: int, n: int, own: float = 1.1) -> np.ndarray:
    """`n` posts of one claim (direction `axis`), each with a wording of its own (a random
    direction of weight `own`): pairs have cosine about 1 / (1 + own**2), 0.45 at 1.1, under
    the first pass's 0.5, while the claim's centroid stands out."""
    return _unit(np.eye(DIMS)[axis] + own * _unit(rng.normal(size=(n, DIMS))))


def test_loose_groups_join_a_close_target_or_stand_alone_when_big_and_bursty() -> None:
    rng = np.random.default_rng(11)
    target = _unit(np.eye(DIMS)[0] + 0.2 * _unit(rng.normal(size=(12, DIMS))))
    near = _fragmented(rng, 0, 4, own=0.4)  # fragments of the target's claim
    alone = _fragmented(rng, 1, 12, own=0.8)  # another claim, no cluster of its own yet
    steady = _fragmented(rng, 2, 12, own=0.8)  # a group, but not bursty
    small = _fragmented(rng, 3, 3, own=0.4)  # a group too small to stand alone
    vectors = np.vstack([target, near, alone, steady, small])
    labels = np.array([0] * 12 + [-1] * 31, dtype=np.int64)
    steady_ids = set(range(28, 40))
    out = regroup_loose(vectors, labels, labels == -1, targets={0}, distance=0.6,
                        join_similarity=0.6, min_size=12,
                        bursty=lambda members: not set(members.tolist()) & steady_ids)  # fmt: skip
    assert out[:16].tolist() == [0] * 16  # the fragments joined the target
    assert len(set(out[16:28].tolist())) == 1 and out[16] not in (-1, 0)  # a cluster of its own
    assert out[28:].tolist() == [-1] * 15  # the steady group and the small one stay loose
    # with no target the fragments are too few to stand alone
    assert regroup_loose(vectors, labels, labels == -1, targets=set(), distance=0.6,
                         join_similarity=0.6, min_size=12,
                         bursty=lambda members: True)[12:16].tolist() == [-1] * 4  # fmt: skip


def _stream(rng: np.random.Generator, burst: bool) -> list[StoredPost]:
    """Three hours of unrelated chatter and 20 posts of one variously worded claim: in the last
    20 minutes (`burst`) or spread over the three hours."""
    posts = []
    for i, vector in enumerate(_unit(rng.normal(size=(300, DIMS)))):
        at = T0 + timedelta(seconds=float(rng.uniform(0, 3 * 3600)))
        posts.append(StoredPost(f"c{i}", at, f"u{i}", "x", f"chatter {i}", vector))
    for i, vector in enumerate(_fragmented(rng, 5, 20)):
        seconds = 3 * 3600 - (20 - i) * 60 if burst else float(rng.uniform(0, 3 * 3600))
        at = T0 + timedelta(seconds=seconds)
        posts.append(StoredPost(f"n{i}", at, f"n{i % 12}", "x", f"claim {i}", vector))
    return sorted(posts, key=lambda p: p.created_at)


def _candidates(config: EmergingConfig, burst: bool) -> list[set[str]]:
    store = UnmatchedStore(config)
    for post in _stream(np.random.default_rng(4), burst):
        store.add(post)
    return [set(c.post_ids) for c in find_candidates(store, T0 + timedelta(hours=3), config)]


def test_a_variously_worded_burst_surfaces_only_with_the_regroup_pass() -> None:
    config = replace(EmergingConfig(), regroup_distance=0.6, absorb_similarity=None)
    claim = {f"n{i}" for i in range(20)}
    (found,) = _candidates(config, burst=True)
    assert found == claim
    assert _candidates(replace(config, regroup_distance=None), burst=True) == []
    # the same posts spread over the afternoon group too, but have a past: no candidate
    assert _candidates(config, burst=False) == []


def test_the_worker_settings_default_to_the_evaluated_configuration() -> None:
    from pipeline.signal_settings import EmergingSettings

    worker = EmergingSettings().clustering_config()
    # the worker keeps fewer posts (memory); every clustering setting is the evaluated one
    assert replace(worker, max_posts=EmergingConfig().max_posts) == EmergingConfig()


def test_a_post_of_a_steady_cluster_moves_only_when_the_burst_is_closer_than_its_own() -> None:
    from models.signals.cluster_joins import absorb_strays

    vectors = _unit(np.array([
        [1, 0, 0], [1, 0.1, 0], [1, -0.1, 0],  # the burst (label 0)
        [0, 1, 0], [0, 1, 0.1], [0, 1, -0.1],  # a steady cluster (label 1)
        [0.9, 0.44, 0],  # in the steady cluster, closer to the burst
        [0.6, 0.8, 0],  # in the steady cluster, closer to its own
    ], dtype=np.float64))  # fmt: skip
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 1], dtype=np.int64)
    candidates = np.array([False] * 3 + [True] * 5)
    out = absorb_strays(vectors, labels, candidates, targets={0}, similarity=0.5)
    assert out.tolist() == [0, 0, 0, 1, 1, 1, 0, 1]
