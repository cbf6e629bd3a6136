"""Emerging narratives: keep posts that matched no narrative, cluster the recent ones, and
surface clusters that grow against their own past.

Contracts (pure; the caller embeds posts and supplies the clock):
- `UnmatchedStore(config)` keeps at most `max_posts` unmatched posts with their embeddings,
  a deterministic sample (`sample_rate`, by a hash of the post id) that expires after `retention`.
  `add()` is O(1) amortised; memory is ``max_posts x (dims x 4 bytes + text)``.
- `find_candidates(store, now, config)` clusters the posts of the last `window` (average-linkage
  agglomerative clustering on cosine distance by default, then bursty clusters whose centroids
  agree joined and recent stray posts close to a bursty cluster's centroid absorbed
  (`models.signals.cluster_joins`); or HDBSCAN; chosen on the tuning streams, see
  `models/README.md`) and returns
  `Candidate`s: clusters with at least `min_size` posts from `min_authors` accounts whose rate
  in the last `recent` period is at least `min_growth` times their rate before it (a cluster
  with no past has growth = recent posts), and was `sustain` earlier too. Until the window
  holds posts older than `recent` + `sustain` (a fresh or restarted store) there are none.
  Blocking, CPU-bound: agglomerative ~0.1 s per round for ~1,000 posts of 384 dims (HDBSCAN
  ~2 s) on the shared 2-core machine.
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
    sustain: timedelta | None = timedelta(minutes=10)
    """A candidate must also have grown by `min_growth` this long ago (a chatter topic's short
    random burst does not); None: off."""
    absorb_similarity: float | None = 0.55
    """Agglomerative only: then posts of the last `recent` left out of every cluster join the
    bursty cluster whose centroid they reach with this cosine (a narrative's stray wordings);
    None: off."""
    regroup_distance: float | None = None
    """Agglomerative only: after the size filter, posts of the last `recent` left out of every
    cluster are clustered again among themselves at this (looser) cosine distance; a group joins
    the bursty cluster its centroid reaches with `regroup_join_similarity`, or is a cluster of its
    own with `min_cluster_size` posts (`cluster_joins.regroup_loose`); None: off."""
    regroup_join_similarity: float = 0.6
    absorb_from_steady: bool = False
    """Absorption also moves recent posts out of clusters that are not bursty, when a bursty
    cluster's centroid is closer than their own cluster's."""
    growth_baseline: Literal["cluster", "window"] = "cluster"
    """Growth compares the last `recent` with the time before it since the cluster's oldest post
    ("cluster") or since the start of the window ("window": a narrative that began 40 minutes ago
    has no past before then, not a past of its own first 10 minutes)."""
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
        eligible = None
        if config.merge_bursty_only or config.absorb_similarity or config.regroup_distance:
            if ages is None:
                raise ValueError("merge_bursty_only, absorb and regroup need the posts' ages")
            observed = float(ages.max())
            eligible = {
                k for k in set(labels.tolist()) if bursty(ages[labels == k], config, observed)
            }
        if config.merge_similarity is not None:
            labels = merge_by_centroid(vectors, labels, config.merge_similarity,
                                       config.merge_min_posts,
                                       eligible if config.merge_bursty_only else None)  # fmt: skip
        sizes = np.bincount(labels)
        labels = np.where(sizes[labels] >= config.min_cluster_size, labels, -1)
        if config.regroup_distance is not None and ages is not None and eligible is not None:
            before, window_ages = set(labels.tolist()), ages
            labels = regroup_loose(vectors, labels, labels == -1, before & eligible,
                                   config.regroup_distance, config.regroup_join_similarity,
                                   config.min_cluster_size,
                                   lambda members: bursty(window_ages[members], config,
                                                          observed))  # fmt: skip
            eligible |= set(labels.tolist()) - before  # new groups are recent: bursty
        if config.absorb_similarity is not None and ages is not None and eligible is not None:
            targets = set(labels.tolist()) & eligible
            outside = labels == -1
            if config.absorb_from_steady:  # also posts of clusters that are not bursty
                outside = ~np.isin(labels, np.array(sorted(targets), dtype=np.int64))
            strays = outside & (ages <= config.recent.total_seconds())
            labels = absorb_strays(vectors, labels, strays, targets, config.absorb_similarity)
        return labels
    model = HDBSCAN(
        min_cluster_size=config.min_cluster_size,
        min_samples=config.min_samples,
        metric="euclidean",
        copy=True,
    )
    return np.asarray(model.fit_predict(vectors), dtype=np.int64)


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
    observed = float(ages.max())
    rate = growth(ages[members], config, observed)
    if rate < config.min_growth or not sustained(ages[members], config, observed):
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


def growth(
    ages: npt.NDArray[np.float64], config: EmergingConfig, observed: float | None = None
) -> float:
    """Posts per second in the last `recent` over posts per second before it (within `window`)
    for a cluster whose posts are `ages` seconds old; with no earlier posts, the recent count.
    "Before" starts at the cluster's oldest post, or with `growth_baseline` "window" and
    `observed` (the age of the window's oldest post) where the window starts."""
    recent_s, window_s = config.recent.total_seconds(), config.window.total_seconds()
    recent = int((ages <= recent_s).sum())
    past = len(ages) - recent
    start = float(ages.max()) if len(ages) else 0.0
    if observed is not None and config.growth_baseline == "window":
        start = max(start, observed)
    past_span = min(start, window_s) - recent_s
    if past == 0 or past_span <= 0:
        return float(recent)
    return (recent / recent_s) / (past / past_span)


def bursty(
    ages: npt.NDArray[np.float64], config: EmergingConfig, observed: float | None = None
) -> bool:
    """Whether a cluster (its posts' `ages`) is new within `recent` or grows by `min_growth`."""
    return bool((ages <= config.recent.total_seconds()).all()) or (
        growth(ages, config, observed) >= config.min_growth
    )


def sustained(
    ages: npt.NDArray[np.float64], config: EmergingConfig, observed: float | None = None
) -> bool:
    """Whether the cluster already grew by `min_growth` `sustain` ago (its posts then)."""
    if config.sustain is None:
        return True
    shift = config.sustain.total_seconds()
    earlier = ages - shift
    earlier = earlier[earlier >= 0]
    then = observed - shift if observed is not None else None
    return len(earlier) > 0 and growth(earlier, config, then) >= config.min_growth


def top_terms(clusters: list[list[str]], k: int) -> list[tuple[str, ...]]:
    """Per cluster, the `k` terms (uni- and bigrams, English stop words removed) with the highest
    class-based TF-IDF: frequent in the cluster, rare in the other clusters."""
    if not clusters:
        return []
    from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped]

    documents = [" ".join(texts) for texts in clusters]
    vectorizer = CountVectorizer(
        stop_words="english", ngram_range=(1, 2), token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b"
    )
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # every word a stop word
        return [() for _ in clusters]
    vocabulary = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    idf = np.log(1.0 + counts.sum() / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    return [tuple(str(vocabulary[j]) for j in np.argsort(-row)[:k] if row[j] > 0) for row in scores]
