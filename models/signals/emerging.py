"""Emerging narratives: keep posts that matched no narrative, cluster the recent ones, and
surface clusters that grow against their own past.

Contracts (pure; the caller embeds posts and supplies the clock):
- `UnmatchedStore(config)` keeps at most `max_posts` unmatched posts with their embeddings,
  a deterministic sample (`sample_rate`, by a hash of the post id) that expires after `retention`.
  `add()` is O(1) amortised; memory is ``max_posts x (dims x 4 bytes + text)``.
- `find_candidates(store, now, config)` clusters the posts of the last `window` (average-linkage
  agglomerative clustering on cosine distance by default, then bursty clusters whose centroids
  agree joined, the posts no cluster took regrouped more loosely, and recent posts close to a
  bursty cluster's centroid absorbed (`models.signals.cluster_joins`); or HDBSCAN; chosen on
  the tuning streams, see `models/README.md`) and returns
  `Candidate`s: clusters with at least `min_size` posts from `min_authors` accounts whose rate
  in the last `recent` period is at least `min_growth` times their rate before it (a cluster
  with no past has growth = recent posts), and was `sustain` earlier too. Until the window
  holds posts older than `recent` + `sustain` (a fresh or restarted store) there are none.
  Blocking, CPU-bound: agglomerative with the joins ~0.06 s per round for ~1,000 posts of 384
  dims, the regroup included (`narrmon eval emerging --split tuning --json`,
  ``round_seconds_last``, idle 2-core machine; the first round of a process ~0.75 s); HDBSCAN
  ~2 s.
- Candidate ids are stable across rounds for the same posts: the id is a hash of the oldest
  post id in the cluster.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from models.signals.cluster_joins import absorb_strays, merge_by_centroid, regroup_loose
from models.signals.growth import bursty, growth, sustained
from models.signals.terms import top_terms

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class EmergingConfig:
    window: timedelta = timedelta(hours=3)
    recent: timedelta = timedelta(minutes=30)
    retention: timedelta = timedelta(hours=6)
    max_posts: int = 20_000
    sample_rate: float = 1.0
    min_size: int = 12
    min_authors: int = 5
    min_growth: float = 5.0
    min_cluster_size: int = 12
    min_samples: int = 4
    """HDBSCAN only."""
    algorithm: Literal["hdbscan", "agglomerative"] = "agglomerative"
    distance_threshold: float = 0.5
    """Agglomerative only: average-linkage cosine distance at which clusters stop merging."""
    merge_similarity: float | None = 0.7
    """Agglomerative only: then join clusters whose centroids have at least this cosine (a
    variously worded narrative splits into sub-clusters whose centroids still agree); None: off."""
    merge_min_posts: int = 3
    """Clusters smaller than this take no part in the centroid merge."""
    merge_bursty_only: bool = True
    """Only bursty clusters (all posts within `recent`, or growth >= `min_growth`) take part in
    the centroid merge (a burst is not joined to steady chatter on the same topic)."""
    sustain: timedelta | None = timedelta(minutes=15)
    """A candidate must also have grown by `min_growth` this long ago (a chatter topic's short
    random burst does not); None: off."""
    regroup_distance: float | None = 0.6
    """Agglomerative only: after the size filter, the posts of the window that no cluster holds
    are clustered again among themselves at this (looser) cosine distance; a bursty group joins
    the bursty cluster its centroid reaches with `regroup_join_similarity`, or with
    `min_cluster_size` posts is a cluster of its own (`cluster_joins.regroup_loose`: the
    fragments of a narrative worded in many ways); None: off."""
    regroup_join_similarity: float = 0.6
    absorb_similarity: float | None = 0.5
    """Agglomerative only: then posts of the last `recent` outside every bursty cluster join the
    bursty cluster whose centroid they reach with this cosine (a narrative's stray wordings);
    None: off."""
    absorb_rounds: int = 3
    """Absorption passes; each recomputes the centroids the posts joined."""
    absorb_from_steady: bool = True
    """Absorption also takes recent posts out of clusters that are not bursty, when a bursty
    cluster's centroid is closer than their own cluster's; False: only posts of no cluster."""
    top_terms: int = 8
    representatives: int = 5


@dataclass(frozen=True)
class StoredPost:
    post_id: str
    created_at: datetime
    author: str
    platform: str
    text: str
    embedding: Vector


@dataclass(frozen=True)
class Candidate:
    candidate_id: str
    size: int
    authors: int
    platforms: tuple[str, ...]
    recent: int
    growth: float
    top_terms: tuple[str, ...]
    representatives: tuple[StoredPost, ...]
    post_ids: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    centroid: Vector = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "candidate_id": self.candidate_id,
            "size": self.size,
            "authors": self.authors,
            "platforms": list(self.platforms),
            "recent": self.recent,
            "growth": round(self.growth, 3),
            "top_terms": list(self.top_terms),
            "representatives": [
                {"post_id": p.post_id, "text": p.text, "author": p.author}
                for p in self.representatives
            ],
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
        }


class UnmatchedStore:
    """Bounded, expiring sample of unmatched posts (see the module docstring)."""

    def __init__(self, config: EmergingConfig | None = None) -> None:
        self.config = config or EmergingConfig()
        self._posts: deque[StoredPost] = deque()
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._posts)

    def sampled(self, post_id: str) -> bool:
        if self.config.sample_rate >= 1.0:
            return True
        digest = int.from_bytes(hashlib.sha1(post_id.encode()).digest()[:8], "big")
        return digest / 2**64 < self.config.sample_rate

    def add(self, post: StoredPost) -> bool:
        """Keep `post` if sampled; returns whether it was kept. Expires what is too old."""
        if not self.sampled(post.post_id):
            return False
        self._posts.append(post)
        if self._newest is None or post.created_at > self._newest:
            self._newest = post.created_at
        self.expire(self._newest)
        return True

    def expire(self, now: datetime) -> None:
        horizon = now - self.config.retention
        while self._posts and (
            len(self._posts) > self.config.max_posts or self._posts[0].created_at < horizon
        ):
            self._posts.popleft()

    def snapshot(self) -> UnmatchedStore:
        """A copy to cluster on another thread while this one keeps taking posts (the posts
        themselves are immutable and shared)."""
        copy = UnmatchedStore(self.config)
        copy._posts = deque(self._posts)
        copy._newest = self._newest
        return copy

    def window(self, now: datetime, span: timedelta) -> list[StoredPost]:
        start = now - span
        return [p for p in self._posts if start <= p.created_at <= now]


def cluster_labels(
    vectors: Vector, config: EmergingConfig, ages: npt.NDArray[np.float64] | None = None
) -> npt.NDArray[np.int64]:
    """Cluster labels (-1 = noise) for L2-normalised `vectors`: HDBSCAN, or average-linkage
    agglomerative clustering on cosine distance (clusters under `min_cluster_size` -> noise).
    `ages` (seconds before now, per post) are needed for `merge_bursty_only`."""
    from sklearn.cluster import (  # type: ignore[import-untyped]
        HDBSCAN,
        AgglomerativeClustering,
    )

    if len(vectors) < max(config.min_cluster_size, 2):
        return np.full(len(vectors), -1, dtype=np.int64)
    if config.algorithm == "agglomerative":
        agglomerative = AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="average",
            distance_threshold=config.distance_threshold,
        )
        labels = np.asarray(agglomerative.fit_predict(vectors), dtype=np.int64)
        return _join(vectors, labels, ages, config)
    model = HDBSCAN(
        min_cluster_size=config.min_cluster_size,
        min_samples=config.min_samples,
        metric="euclidean",
        copy=True,
    )
    return np.asarray(model.fit_predict(vectors), dtype=np.int64)


def _join(
    vectors: Vector, labels: npt.NDArray[np.int64], ages: npt.NDArray[np.float64] | None,
    config: EmergingConfig,
) -> npt.NDArray[np.int64]:  # fmt: skip
    """The agglomerative labels after the joins of `models.signals.cluster_joins`, in order:
    centroid merge, size filter, regroup of the loose posts, absorption of recent posts."""
    eligible: set[int] = set()  # bursty clusters
    if config.merge_bursty_only or config.absorb_similarity or config.regroup_distance:
        if ages is None:
            raise ValueError("merge_bursty_only, absorb and regroup need the posts' ages")
        eligible = {k for k in set(labels.tolist()) if bursty(ages[labels == k], config)}
    if config.merge_similarity is not None:
        only = eligible if config.merge_bursty_only else None
        labels = merge_by_centroid(
            vectors, labels, config.merge_similarity, config.merge_min_posts, only
        )
    sizes = np.bincount(labels)
    labels = np.where(sizes[labels] >= config.min_cluster_size, labels, -1)
    if ages is None:
        return labels
    if config.regroup_distance is not None:
        before, known = set(labels.tolist()), ages
        labels = regroup_loose(vectors, labels, labels == -1, before & eligible,
                               config.regroup_distance, config.regroup_join_similarity,
                               config.min_cluster_size,
                               lambda members: bursty(known[members], config))  # fmt: skip
        eligible |= set(labels.tolist()) - before  # a new group stood alone because it is bursty
    if config.absorb_similarity is not None:
        targets = set(labels.tolist()) & eligible
        outside = labels == -1
        if config.absorb_from_steady:  # also the posts of clusters that are not bursty
            outside = ~np.isin(labels, np.array(sorted(targets), dtype=np.int64))
        strays = outside & (ages <= config.recent.total_seconds())
        for _ in range(config.absorb_rounds):  # centroids move as posts join
            labels = absorb_strays(vectors, labels, strays, targets, config.absorb_similarity)
    return labels


def find_candidates(
    store: UnmatchedStore, now: datetime, config: EmergingConfig | None = None
) -> list[Candidate]:
    """Clusters of the last `window` that qualify as candidates, largest growth first."""
    config = config or store.config
    posts = store.window(now, config.window)
    warmup = config.recent + (config.sustain or timedelta(0))
    if not posts or now - min(p.created_at for p in posts) < warmup:
        return []  # no past yet to grow against (a fresh or restarted store): all looks new
    vectors = np.vstack([p.embedding for p in posts]).astype(np.float32)
    ages = np.array([(now - p.created_at).total_seconds() for p in posts], dtype=np.float64)
    labels = cluster_labels(vectors, config, ages)
    clusters = [np.nonzero(labels == k)[0] for k in sorted(set(labels.tolist()) - {-1})]
    terms = top_terms([[posts[i].text for i in members] for members in clusters], config.top_terms)
    candidates = []
    for members, words in zip(clusters, terms, strict=True):
        candidate = _candidate(posts, vectors, ages, members, words, now, config)
        if candidate is not None:
            candidates.append(candidate)
    return sorted(candidates, key=lambda c: (-c.growth, -c.size, c.candidate_id))


def _candidate(  # noqa: PLR0917
    posts: list[StoredPost], vectors: Vector, ages: npt.NDArray[np.float64],
    members: npt.NDArray[np.int64], words: tuple[str, ...], now: datetime, config: EmergingConfig,
) -> Candidate | None:  # fmt: skip
    chosen = [posts[i] for i in members]
    authors = {p.author for p in chosen}
    if len(chosen) < config.min_size or len(authors) < config.min_authors:
        return None
    rate = growth(ages[members], config)
    if rate < config.min_growth or not sustained(ages[members], config):
        return None
    recent = int((ages[members] <= config.recent.total_seconds()).sum())
    centroid = vectors[members].mean(axis=0)
    centroid /= float(np.linalg.norm(centroid)) or 1.0
    closest = members[np.argsort(-(vectors[members] @ centroid))[: config.representatives]]
    oldest = min(chosen, key=lambda p: (p.created_at, p.post_id))
    return Candidate(
        candidate_id="emerging-" + hashlib.sha1(oldest.post_id.encode()).hexdigest()[:12],
        size=len(chosen),
        authors=len(authors),
        platforms=tuple(sorted({p.platform for p in chosen})),
        recent=recent,
        growth=rate,
        top_terms=words,
        representatives=tuple(posts[i] for i in closest),
        post_ids=tuple(p.post_id for p in chosen),
        first_at=min(p.created_at for p in chosen),
        last_at=max(p.created_at for p in chosen),
        centroid=centroid.astype(np.float32),
    )
