"""`calibrate_train --post-date`: the rows a monitor's decision reads for posts of that day, and
the options that go with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.catalog.schema import Catalog, Narrative
from models.evaluation.calibrate_train import collect_openset, main
from models.matching.calibration import FEATURES
from models.matching.matcher import NarrativeMatcher
from models.matching.types import MatcherConfig

from ..conftest import BagOfWordsEmbedder

TODAY = dt.date(2026, 11, 30)
QUERIES = {"q1": "ballots were dumped in a river", "q2": "the moon landing was staged"}
QRELS = {"q1": {"ballots"}, "q2": {"moon"}}


def _catalog() -> Catalog:
    return Catalog(name="dated", narratives=(
        Narrative(id="ballots", title="Ballots dumped", claim_date=dt.date(2016, 5, 1),
                  exemplars=("ballots dumped in a river",)),
        Narrative(id="moon", title="Moon landing staged", claim_date=dt.date(2019, 7, 20),
                  exemplars=("the moon landing was staged",)),
        Narrative(id="fresh", title="Fresh claim", claim_date=TODAY - dt.timedelta(days=1),
                  exemplars=("ballots staged on the moon",)),
    ))  # fmt: skip


@pytest.mark.filterwarnings("ignore")
def test_a_post_date_reads_old_claims_undated_only_when_the_decision_does(
    bow_embedder: BagOfWordsEmbedder,
) -> None:
    has_date = FEATURES.index("has_date")

    def dated_rows(mode: str) -> list[float]:
        matcher = NarrativeMatcher(_catalog(), bow_embedder, MatcherConfig(claim_dates=mode))
        samples = collect_openset(matcher, QUERIES, QRELS, 13, posted=TODAY)
        return sorted(samples.rows[:, has_date].tolist())

    every = dated_rows("all")
    recent = dated_rows("recent")
    assert every and all(v == 1.0 for v in every)  # every claim dated, read as such
    # only the claim of the day before still counts as dated; the old ones read undated
    assert 0.0 in recent and 1.0 in recent
    assert recent.count(1.0) < every.count(1.0)


@pytest.mark.parametrize(
    ("extra", "needs"),
    [
        (["--post-date", "2026-11-30", "--posts", "p.jsonl"], "--post-date needs --queries"),
        (["--recent-into", "c.json", "--queries", "q", "--qrels", "r"], "--recent-into needs"),
    ],
)
def test_post_date_options_are_refused_without_what_they_need(
    extra: list[str], needs: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit):
        main(["--catalog", str(tmp_path / "c.jsonl"), *extra])
    assert needs in capsys.readouterr().err
