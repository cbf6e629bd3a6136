"""Leave one tuning batch out: what the calibrator does on posts by a writer it never saw.

Each tuning batch (the posts' ``batch`` field) was written by a different writer in a different
voice, so a calibrator fit on the other batches and scored on one is the nearest thing to a new
writer's posts; cross-validation by post is optimistic (a writer's posts resemble each other).

- `leave_batch_out`: each batch's metrics under a calibrator fit, and a threshold chosen by CV,
  on the other batches only (logged by `calibrate_train`).
- `pooled_batch_out`: every row's probability from a calibrator fit without the row's batch, so
  the threshold can be CHOSEN for unseen writers (`calibrate_train --select batch-out`).
Both take `rebuild(train)`: the samples with features learnt from the `train` posts only (the
post classifier's); without it the rows are used as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from models.evaluation.calibrate_train import (
    CalSamples,
    choose,
    decision_metrics,
    fit,
    out_of_fold,
    probabilities,
)
from models.evaluation.openset import OpenSetMetrics
from models.matching.calibration import Floats

Rebuild = Callable[[np.ndarray], CalSamples]


def subset(samples: CalSamples, keep: Sequence[bool]) -> CalSamples:
    """The samples of the posts where `keep[g]` (posts renumbered in order)."""
    kept = np.asarray(keep, dtype=bool)
    rows = kept[samples.group]
    renumber = np.cumsum(kept) - 1
    return CalSamples(
        rows=samples.rows[rows], labels=samples.labels[rows], group=renumber[samples.group[rows]],
        offset=samples.offset[rows],
        cand_ids=[c for c, r in zip(samples.cand_ids, rows, strict=True) if r],
        gold=[g for g, k in zip(samples.gold, kept, strict=True) if k],
        fold_key=[f for f, k in zip(samples.fold_key, kept, strict=True) if k],
    )  # fmt: skip


def leave_batch_out(
    samples: CalSamples, batches: Sequence[str | None], *, folds: int, c: float,
    target_precision: float, max_false_alarm: float,
    rebuild: Rebuild | None = None,
) -> dict[str, OpenSetMetrics]:  # fmt: skip
    """Each batch's metrics under a calibrator fit, and a threshold chosen by CV, on the OTHER
    batches only: what posts from a writer the calibrator never saw get. `rebuild(train)`: the
    samples with features learnt from the `train` posts only (the post classifier's)."""
    names = [b or "unbatched" for b in batches]
    out = {}
    for name in sorted(set(names)):
        held = [n == name for n in names]
        if rebuild is not None:
            samples = rebuild(~np.asarray(held))
        train = subset(samples, [not h for h in held])
        threshold, margin, _ = choose(train, out_of_fold(train, folds, c=c), target_precision,
                                      max_false_alarm)  # fmt: skip
        test = subset(samples, held)
        probs = probabilities(fit(train, c), test.rows)
        out[name] = decision_metrics(test, probs, threshold, margin)
    return out


def pooled_batch_out(
    samples: CalSamples, batches: Sequence[str | None], *, c: float,
    rebuild: Rebuild | None = None,
) -> tuple[CalSamples, Floats]:  # fmt: skip
    """(samples, probabilities): each row's probability from a calibrator fit on the OTHER
    batches' posts (features rebuilt without the row's batch). The samples returned are those
    of the whole set (``rebuild`` of every post), for `decision_metrics` / `choose`."""
    names = np.asarray([b or "unbatched" for b in batches])
    row_batch = names[samples.group]
    probs = np.zeros(len(samples.labels))
    for name in sorted(set(names.tolist())):
        held = names == name
        part = rebuild(~held) if rebuild is not None else samples
        train = subset(part, (~held).tolist())
        rows = row_batch == name
        probs[rows] = probabilities(fit(train, c), part.rows[rows])
    whole = rebuild(np.ones(len(names), dtype=bool)) if rebuild is not None else samples
    return whole, probs
