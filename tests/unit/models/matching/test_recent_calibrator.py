"""A calibrator's ``recent`` part (`Calibrator.recent`): fit on rows read as a monitor reads a
fresh post's claim dates, it decides exactly the posts whose decision reads only recent dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from models.catalog.schema import Catalog, Narrative
from models.matching.calibration import DEFAULT_CALIBRATOR, Calibrator
from models.matching.matcher import NarrativeMatcher, live_config

from ..conftest import BagOfWordsEmbedder

POST = "Ballots were dumped in a river by poll workers"
TODAY = dt.date(2026, 11, 30)


def _shipped() -> Calibrator:
    return dataclasses.replace(Calibrator.load(DEFAULT_CALIBRATOR), recent=None)


def _pair(parent_threshold: float, recent_threshold: float) -> Calibrator:
    base = dataclasses.replace(_shipped(), threshold=parent_threshold, margin=1.0)
    return dataclasses.replace(base, recent=dataclasses.replace(base, threshold=recent_threshold))


def test_a_recent_part_survives_the_json_round_trip(tmp_path: Path) -> None:
    cal = _pair(0.5, 0.3)
    cal.save(tmp_path / "c.json")
    loaded = Calibrator.load(tmp_path / "c.json")
    assert loaded == cal
    assert loaded.recent is not None and loaded.recent.threshold == 0.3


def test_a_recent_part_must_read_the_same_rows_and_have_none_of_its_own() -> None:
    base = _shipped()
    with pytest.raises(ValueError, match="same rows"):
        dataclasses.replace(base, recent=dataclasses.replace(base, depth=base.depth + 1))
    with pytest.raises(ValueError, match="same rows"):
        dataclasses.replace(base, recent=_pair(0.5, 0.5))


def test_for_post_takes_the_recent_part_only_for_a_recent_dates_post() -> None:
    cal = _pair(0.5, 0.3)
    assert cal.for_post(True) is cal.recent
    assert cal.for_post(False) is cal
    alone = _shipped()
    assert alone.for_post(True) is alone


def _hits(
    mode: str, calibrator: Calibrator, embedder: BagOfWordsEmbedder, posted: dt.date,
    claim_date: dt.date | None = dt.date(2016, 5, 1),
) -> int:  # fmt: skip
    catalog = Catalog(name="dated", narratives=(
        Narrative(id="old", title="Ballots dumped", claim_date=claim_date, exemplars=(POST,)),
    ))  # fmt: skip
    matcher = NarrativeMatcher(catalog, embedder, live_config(claim_dates=mode,
                                                              calibrator=calibrator))  # fmt: skip
    (ranked,) = matcher.rank([POST], dates=[posted])
    return len(matcher.decide(POST.lower(), ranked, posted))


@pytest.mark.filterwarnings("ignore")
def test_the_matcher_decides_a_fresh_post_with_the_recent_part(
    bow_embedder: BagOfWordsEmbedder,
) -> None:
    # the parent always hits (threshold 0), the recent part never does (threshold 1)
    cal = _pair(0.0, 1.0)
    assert _hits("all", cal, bow_embedder, TODAY) == 1  # every date read: the parent decides
    assert _hits("recent", cal, bow_embedder, TODAY) == 0  # a monitor's fresh post: recent
    assert _hits("auto", cal, bow_embedder, TODAY) == 0  # newer than its catalog: recent
    assert _hits("auto", cal, bow_embedder, dt.date(2015, 1, 1)) == 1  # older: the parent


@pytest.mark.filterwarnings("ignore")
def test_a_catalog_without_claim_dates_keeps_the_calibrator_it_always_had(
    bow_embedder: BagOfWordsEmbedder,
) -> None:
    cal = _pair(0.0, 1.0)
    for mode in ("all", "recent", "auto"):
        assert _hits(mode, cal, bow_embedder, TODAY, claim_date=None) == 1
