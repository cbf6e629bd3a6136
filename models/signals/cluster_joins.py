"""Joining the clusters of one emerging-narrative round (`models.signals.emerging`): clusters
whose centroids agree, the posts no cluster took regrouped among themselves, and stray posts
close to a cluster's centroid. Pure functions (numpy; scikit-learn for the regroup)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


def centroids(
    vectors: Vector, labels: npt.NDArray[np.int64], keys: npt.NDArray[np.int64]
) -> Vector:
    """Normalised centroids of the clusters `keys` (rows in that order)."""
    out = np.vstack([vectors[labels == k].mean(axis=0) for k in keys]).astype(np.float32)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def merge_by_centroid(
    vectors: Vector, labels: npt.NDArray[np.int64], similarity: float, min_posts: int,
    eligible: set[int] | None = None,
) -> npt.NDArray[np.int64]:  # fmt: skip
    """`labels` with every two clusters of `min_posts`+ posts (and in `eligible`, if given) whose
    normalised centroids have a cosine >= `similarity` joined (transitively; the smallest label
    names the result)."""
    sizes = np.bincount(labels)
    big = np.nonzero(sizes >= min_posts)[0]
    if eligible is not None:
        big = np.array([k for k in big if int(k) in eligible], dtype=np.int64)
    if len(big) < 2:
        return labels
    means = centroids(vectors, labels, big)
    parent = {int(k): int(k) for k in big}

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    close = np.argwhere(np.triu(means @ means.T, k=1) >= similarity)
    for i, j in close:
        a, b = root(int(big[i])), root(int(big[j]))
        parent[max(a, b)] = min(a, b)
    mapping = np.arange(len(sizes), dtype=np.int64)
    for k in parent:
        mapping[k] = root(k)
    return mapping[labels]


def absorb_strays(
    vectors: Vector, labels: npt.NDArray[np.int64], strays: npt.NDArray[np.bool_],
    targets: set[int], similarity: float,
) -> npt.NDArray[np.int64]:  # fmt: skip
    """`labels` with every post in `strays` relabelled to the cluster in `targets` whose
    centroid (before any post joins) is closest to it, if that cosine is >= `similarity` and,
    for a post that is in a cluster, higher than its cosine to its own cluster's centroid."""
    keys = np.array(sorted(targets), dtype=np.int64)
    if len(keys) == 0 or not strays.any():
        return labels
    means = centroids(vectors, labels, keys)
    index = np.nonzero(strays)[0]
    scores = vectors[index] @ means.T
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(index)), best]
    own = np.full(len(index), -np.inf)
    for k in set(labels[index].tolist()) - {-1}:
        rows = labels[index] == k
        own[rows] = vectors[index[rows]] @ centroids(vectors, labels, np.array([k]))[0]
    close = (top >= similarity) & (top > own)
    out = labels.copy()
    out[index[close]] = keys[best[close]]
    return out


def regroup_loose(  # noqa: PLR0917
    vectors: Vector, labels: npt.NDArray[np.int64], loose: npt.NDArray[np.bool_],
    targets: set[int], distance: float, join_similarity: float, min_size: int,
    bursty: Callable[[npt.NDArray[np.int64]], bool],
) -> npt.NDArray[np.int64]:  # fmt: skip
    """`labels` with the posts in `loose` (the posts no cluster holds) clustered again among
    themselves (average linkage, cosine `distance`, looser than the first pass). A group that is
    `bursty` (called with its members' indices) joins the cluster in `targets` whose centroid
    (before any group joins) its centroid reaches with cosine >= `join_similarity`, the closest,
    or else, with `min_size`+ posts, becomes a cluster of its own; other groups stay loose.
    A narrative worded in many ways leaves fragments too small to be clusters; among the posts
    no cluster took they find each other, while stray chatter that groups has a past."""
    from sklearn.cluster import AgglomerativeClustering  # type: ignore[import-untyped]

    index = np.nonzero(loose)[0]
    if len(index) < 2:
        return labels
    groups = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    ).fit_predict(vectors[index])
    keys = np.array(sorted(targets), dtype=np.int64)
    means = centroids(vectors, labels, keys) if len(keys) else np.zeros((0, vectors.shape[1]))
    out = labels.copy()
    fresh = int(labels.max()) + 1
    for group in range(int(groups.max()) + 1):
        members = index[groups == group]
        if not bursty(members):
            continue
        centre = vectors[members].mean(axis=0)
        scores = means @ (centre / (float(np.linalg.norm(centre)) or 1.0))
        if len(scores) and float(scores.max()) >= join_similarity:
            out[members] = keys[int(scores.argmax())]
        elif len(members) >= min_size:
            out[members] = fresh
            fresh += 1
    return out
