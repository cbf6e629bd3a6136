"""Joining the clusters of one emerging-narrative round (`models.signals.emerging`): clusters
whose centroids agree, and stray posts close to a cluster's centroid. Pure numpy."""

from __future__ import annotations

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
    centroid (before any post joins) is closest to it, if that cosine is >= `similarity`."""
    keys = np.array(sorted(targets), dtype=np.int64)
    if len(keys) == 0 or not strays.any():
        return labels
    means = centroids(vectors, labels, keys)
    index = np.nonzero(strays)[0]
    scores = vectors[index] @ means.T
    best = scores.argmax(axis=1)
    close = scores[np.arange(len(index)), best] >= similarity
    out = labels.copy()
    out[index[close]] = keys[best[close]]
    return out
