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

IDF is the lexical index's (`LexicalIndex.idf`, over the catalog's narrative documents). A
calibrator reads them only when fit with them (`calibrate_train --coverage`); no shipped one
does: on CheckThat! TRAIN they lifted open-set recall at the same precision (0.731 -> 0.752),
but not on dev, and the CheckThat! calibrator, which serves every catalog without its own, lost
a third of its recall at the same precision on the election catalog's tuning posts with them
(models/README.md, "Claim coverage").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

COVERAGE_FEATURES: tuple[str, ...] = ("claim_coverage", "post_coverage")

Floats = npt.NDArray[np.float64]
Idf = Callable[[str], float]


@dataclass(frozen=True)
class Weighed:
    """A text's distinct tokens and their IDF mass (`weigh`): an exemplar's is computed once."""

    tokens: frozenset[str]
    mass: float


def weigh(tokens: Iterable[str], idf: Idf) -> Weighed:
    """Sums with `math.fsum`: exact whatever order a set iterates in (it varies with the hash
    seed), so the features, and a calibrator fit on them, do not depend on the process."""
    distinct = frozenset(tokens)
    return Weighed(distinct, math.fsum(idf(t) for t in distinct))


def idf_share(tokens: frozenset[str], other: frozenset[str], idf: Idf) -> float:
    """The share of `tokens`' IDF mass that `other` holds (0 for no tokens or no mass)."""
    whole = weigh(tokens, idf)
    return _share(math.fsum(idf(t) for t in whole.tokens & other), whole.mass)


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0.0 else 0.0


def coverage_row(post: Weighed, exemplars: Iterable[Weighed], idf: Idf) -> Floats:
    """One candidate's `COVERAGE_FEATURES` (each the best over its exemplars). Both shares have
    the same numerator, the IDF mass of the words the post and the exemplar share."""
    claim, covered = 0.0, 0.0
    for ex in exemplars:
        shared = math.fsum(idf(t) for t in ex.tokens & post.tokens)
        claim = max(claim, _share(shared, ex.mass))
        covered = max(covered, _share(shared, post.mass))
    return np.asarray([claim, covered], dtype=np.float64)


def coverage_rows(post: Weighed, candidates: Sequence[Sequence[Weighed]], idf: Idf) -> Floats:
    """`coverage_row` for each candidate (given as its weighed exemplars), in order."""
    if not candidates:
        return np.zeros((0, len(COVERAGE_FEATURES)))
    return np.vstack([coverage_row(post, exemplars, idf) for exemplars in candidates])
