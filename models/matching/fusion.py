"""Fusing dense and lexical evidence into one score per (post, narrative). Pure functions.

`linear_fusion` is what the matcher uses: ``(1 - w) * dense + w * lexical`` on two absolute
scales (cosine, and normalised BM25 in [0, 1], see `models.matching.lexical`), so the fused score
can carry an absolute per-narrative threshold. The weight `w` was tuned on the CheckThat! 2022
*train* split only (see `models.evaluation.metrics` and the README); dev is reported, never tuned
on.

`reciprocal_rank_fusion` (Cormack et al., 2009) is kept as the rank-only baseline the evaluation
compares against: it needs no calibration but yields no threshold-able score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from models.matching.types import DEFAULT_LEXICAL_WEIGHT


def linear_fusion(
    dense: npt.NDArray[np.float32] | float,
    lexical: npt.NDArray[np.float32] | float,
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
) -> npt.NDArray[np.float32]:
    """``(1 - w) * dense + w * lexical``, elementwise."""
    if not 0.0 <= lexical_weight <= 1.0:
        raise ValueError("lexical_weight must be in [0, 1]")
    return np.asarray(
        (1.0 - lexical_weight) * np.asarray(dense) + lexical_weight * np.asarray(lexical),
        dtype=np.float32,
    )


def reciprocal_rank_fusion(
    rankings: Iterable[Sequence[str]], k: int = 60
) -> list[tuple[str, float]]:
    """RRF: each ranking adds ``1 / (k + rank)`` (rank from 1) to an item; best first."""
    totals: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            totals[item] = totals.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
