"""How much of a candidate's claim a post says, and how much of the post the claim holds. Pure.

Two calibrator features (`COVERAGE_FEATURES`) per ranked candidate, both IDF-weighted shares of
distinct tokens (`models.matching.lexical.tokenize`), each the best over the narrative's
exemplars:

- ``claim_coverage``: the share of an exemplar's IDF mass whose tokens the post contains. A post
  about the claim's own subject names its rare words (the people, places, numbers); a post that
  only shares the topic with a look-alike claim leaves most of them out.
- ``post_coverage``: the share of the post's IDF mass that an exemplar contains. Words found in
  no narrative count at the IDF of a term no document holds, so a post that says much the
  catalog never mentions reads as covered less (unlike the normalised BM25 score, which the
  shipped CheckThat! re-ranker reads without them).

IDF is the lexical index's (`LexicalIndex.idf`, over the catalog's narrative documents). On
CheckThat! TRAIN (open-set, calibrator 5-fold CV, out-of-fold re-ranker logits) the two lifted
recall at hit precision >= 0.90 and false alarms <= 0.05 from 0.731 to 0.752
(models/README.md, "Claim coverage").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

COVERAGE_FEATURES: tuple[str, ...] = ("claim_coverage", "post_coverage")

Floats = npt.NDArray[np.float64]
Idf = Callable[[str], float]


def idf_share(tokens: frozenset[str], other: frozenset[str], idf: Idf) -> float:
    """The share of `tokens`' IDF mass that `other` holds (0 for no tokens or no mass). Sums
    with `math.fsum`: exact whatever order the sets iterate in (it varies with the hash seed)."""
    total = math.fsum(idf(t) for t in tokens)
    if total <= 0.0:
        return 0.0
    return math.fsum(idf(t) for t in tokens & other) / total


def coverage_row(post: frozenset[str], exemplars: Iterable[frozenset[str]], idf: Idf) -> Floats:
    """One candidate's `COVERAGE_FEATURES` (each the best over its exemplars' token sets)."""
    claim, covered = 0.0, 0.0
    for tokens in exemplars:
        claim = max(claim, idf_share(tokens, post, idf))
        covered = max(covered, idf_share(post, tokens, idf))
    return np.asarray([claim, covered], dtype=np.float64)


def coverage_rows(
    post: frozenset[str], candidates: Sequence[Sequence[frozenset[str]]], idf: Idf
) -> Floats:
    """`coverage_row` for each candidate (given as its exemplars' token sets), in order."""
    if not candidates:
        return np.zeros((0, len(COVERAGE_FEATURES)))
    return np.vstack([coverage_row(post, exemplars, idf) for exemplars in candidates])
