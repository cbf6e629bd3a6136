"""The threshold curve on labelled posts: the live point is what `predict` scores, stricter
thresholds trade recall for precision, and the target-precision pick."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from models.catalog.loading import load_catalog
from models.evaluation.posts_curve import CurvePoint, at_precision, posts_curve
from models.evaluation.posts_eval import LabelledPost, predict, score_posts
from models.matching.calibration import FEATURES, Calibrator
from models.matching.matcher import MatcherConfig, NarrativeMatcher

from ..conftest import BagOfWordsEmbedder

POSTS = [
    LabelledPost("Dead people voted and rigged the election", "stolen-election", id="1"),
    LabelledPost("The election was stolen with fraudulent ballots", "stolen-election", id="2"),
    LabelledPost("voting machines switched votes", "voting-machines-flip", id="3"),
    LabelledPost("the election ballots arrive next week", None, id="4"),
    LabelledPost("pancakes for tea", None, id="5"),
    LabelledPost("   ", None, id="6"),
]


def _matcher(catalog_path: Path, bow: BagOfWordsEmbedder, threshold: float) -> NarrativeMatcher:
    n = len(FEATURES)
    coef = [0.0] * n
    coef[FEATURES.index("score_logit")] = 20.0  # fused score 0.4 -> p 0.5
    calibrator = Calibrator(mean=(0.4,) + (0.0,) * (n - 1), scale=(1.0,) * n,
                            coef=tuple(coef), intercept=0.0, threshold=threshold, margin=0.2,
                            score="fused", catalogs=("test-fixture",))  # fmt: skip
    config = MatcherConfig(decision="calibrated", calibrator=calibrator,
                           severity_threshold_offsets={})  # fmt: skip
    return NarrativeMatcher(load_catalog(catalog_path), bow, config)


@pytest.mark.parametrize("live", [0.3, 0.5, 0.9])
def test_the_curve_at_the_live_threshold_is_what_predict_scores(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder, live: float
) -> None:
    matcher = _matcher(catalog_path, bow_embedder, live)
    report = score_posts(POSTS, predict(matcher, POSTS))
    (point,) = posts_curve(matcher, POSTS, [live])
    assert (point.precision, point.recall, point.chatter_hits, point.predicted) == (
        report.precision, report.recall, report.chatter_hits, report.predicted)  # fmt: skip


def test_stricter_thresholds_predict_less(
    catalog_path: Path, bow_embedder: BagOfWordsEmbedder
) -> None:
    points = posts_curve(_matcher(catalog_path, bow_embedder, 0.5), POSTS, [0.01, 0.5, 1.0])
    predicted = [p.predicted for p in points]
    assert predicted == sorted(predicted, reverse=True)
    assert points[0].chatter_hits >= 1  # the loosest threshold flags on-topic chatter
    assert points[-1].predicted == 0 and points[-1].recall == 0.0
    assert points[0].chatter == 3


def _point(threshold: float, precision: float, recall: float, chatter_hits: int) -> CurvePoint:
    return CurvePoint(threshold, precision, recall, chatter_hits / 10, chatter_hits, 10, 5)


def test_at_precision_takes_the_best_recall_reaching_the_target() -> None:
    points = [_point(0.2, 0.80, 0.95, 3), _point(0.4, 0.90, 0.90, 1), _point(0.6, 0.97, 0.80, 0),
              _point(0.8, 0.97, 0.80, 0)]  # fmt: skip
    assert at_precision(points, 0.9) == points[1]
    assert at_precision(points, 0.95) == points[2]  # the lower of two equal thresholds
    assert at_precision(points, 0.99) is None
    empty = dataclasses.replace(points[0], precision=1.0, predicted=0)
    assert at_precision([empty], 0.5) is None


def test_labels_must_name_narratives_of_the_catalog(tmp_path: Path) -> None:
    from models.evaluation.posts_eval import read_labelled_posts, unknown_labels

    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"text": "a", "label": {"narrative": "stolen-election", "stance": "promotes"}}\n'
        '{"text": "b", "label": {"narrative": null}}\n'
        '{"text": "c", "label": {"narrative": "stolen-elections", "stance": "promotes"}}\n',
        encoding="utf-8",
    )
    posts = read_labelled_posts(path)
    assert unknown_labels(posts, {"stolen-election", "stolen-elections"}, path) is None
    typo = unknown_labels(posts, {"stolen-election"}, path)
    assert typo is not None and f"{path}:3:" in typo and "'stolen-elections'" in typo
    problem = unknown_labels(posts, {"voting-machines-flip"}, path)
    assert problem is not None and f"{path}:1:" in problem and "2 post(s)" in problem


def test_eval_commands_refuse_files_that_do_not_fit(catalog_path: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"text": "c", "label": {"narrative": "typo-narrative"}}\n')
    result = CliRunner().invoke(main, ["eval", "posts", "--catalog", str(catalog_path),
                                       "--posts", str(posts)])  # fmt: skip
    assert result.exit_code == 2 and "'typo-narrative' is not an active narrative" in result.output
    fine = tmp_path / "fine.jsonl"
    fine.write_text('{"text": "c", "label": {"narrative": null}}\n')
    pooled = CliRunner().invoke(main, ["eval", "posts", "--catalog", str(catalog_path),
                                       "--posts", str(fine), "--posts", str(posts)])  # fmt: skip
    assert pooled.exit_code == 2 and f"{posts}:1:" in pooled.output  # names the file at fault
    queries, qrels = tmp_path / "q.tsv", tmp_path / "qrels.tsv"
    queries.write_text("q1\tDead people voted\n")
    qrels.write_text("q1 0 vclaim-somewhere-else 1\n")
    for command in ("openset", "claims"):
        args = ["eval", command, "--catalog", str(catalog_path), "--queries", str(queries),
                "--qrels", str(qrels)]  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "not active narratives of the catalog" in result.output
    qrels.write_text("q1 0 stolen-election\n")
    args = ["eval", "openset", "--catalog", str(catalog_path), "--queries", str(queries),
            "--qrels", str(qrels)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "qrels.tsv:1:" in result.output
    result = CliRunner().invoke(main, [*args, "--post-date", "30/11/2026"])
    assert result.exit_code == 2 and "--post-date" in result.output  # YYYY-MM-DD only
