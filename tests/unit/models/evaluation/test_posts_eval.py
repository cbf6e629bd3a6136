"""Narrative-assignment metrics on labelled posts (pure) and the JSONL reader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from models.evaluation.posts_eval import LabelledPost, Prediction, read_labelled_posts, score_posts

POSTS = [
    LabelledPost("a1", "a", "promotes"),
    LabelledPost("a2", "a", "debunks"),
    LabelledPost("b1", "b", "promotes"),
    LabelledPost("c1", None),
    LabelledPost("c2", None),
]


def test_precision_recall_fp_rate_and_stance() -> None:
    report = score_posts(
        POSTS,
        [
            Prediction("a", "promotes"),  # right narrative, right stance
            Prediction("a", "promotes"),  # right narrative, wrong stance
            Prediction("a", "promotes"),  # wrong narrative
            Prediction(None),  # chatter, correctly nothing
            Prediction("b", "promotes"),  # chatter false positive
        ],
    )
    assert (report.predicted, report.true_positives, report.labelled) == (4, 2, 3)
    assert report.precision == pytest.approx(2 / 4)
    assert report.recall == pytest.approx(2 / 3)
    assert report.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert (report.chatter_hits, report.chatter) == (1, 2)
    assert report.chatter_fp_rate == pytest.approx(0.5)
    assert report.accuracy == pytest.approx(3 / 5)
    assert (report.stance_correct, report.stance_labelled) == (1, 2)
    assert report.stance_confusion == {"promotes": {"promotes": 1}, "debunks": {"promotes": 1}}
    assert report.stance_errors == (("a2", "debunks", "promotes"),)
    rows = {r.narrative: r for r in report.per_narrative}
    assert (rows["a"].support, rows["a"].predicted, rows["a"].true_positives) == (2, 3, 2)
    assert rows["b"].precision == 0.0 and rows["b"].recall == 0.0
    assert [e[0] for e in report.errors] == ["b1", "c2"]
    assert report.as_json()["per_narrative"][0]["narrative"] == "a"
    # a1 and a2 matched, b1 (promotes) missed
    assert report.recall_by_stance == {"debunks": (1, 1), "promotes": (1, 2)}
    assert report.as_json()["recall_by_stance"]["promotes"]["recall"] == pytest.approx(0.5)


def test_hit_precision_counts_second_hits_top_precision_does_not() -> None:
    report = score_posts(
        POSTS,
        [
            Prediction("a", "promotes", also=("b",)),  # right top, wrong second hit
            Prediction("b", "promotes", also=("a",)),  # wrong top, right second hit
            Prediction("b", "promotes"),  # right
            Prediction(None),  # chatter, nothing
            Prediction("a", "promotes", also=("b",)),  # chatter: two false hits
        ],
    )
    assert (report.predicted, report.true_positives) == (4, 2)  # top matches only
    assert (report.hits, report.correct_hits) == (7, 3)
    assert report.hit_precision == pytest.approx(3 / 7)
    assert report.as_json()["hit_precision"] == pytest.approx(3 / 7)
    assert report.chatter_hits == 1  # a chatter post counts once however many hits it gets


def test_without_second_hits_hit_precision_is_top_precision() -> None:
    predictions = [Prediction("a"), Prediction("a"), Prediction("a"), Prediction(None),
                   Prediction("b")]  # fmt: skip
    report = score_posts(POSTS, predictions)
    assert report.hits == report.predicted == 4
    assert report.hit_precision == report.precision == pytest.approx(2 / 4)


def test_nothing_predicted_scores_zero_not_an_error() -> None:
    report = score_posts(POSTS, [Prediction(None)] * len(POSTS))
    assert report.precision == report.recall == report.f1 == 0.0
    assert report.chatter_fp_rate == 0.0 and report.accuracy == pytest.approx(2 / 5)
    with pytest.raises(ValueError):
        score_posts(POSTS, [])


def test_reader_accepts_label_and_demo_label(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    label = {"narrative": "a", "stance": "debunks"}
    rows = [
        {"text": "x", "label": label, "created_at": "2024-11-06T01:02:03Z", "batch": "news"},
        {"text": "y", "demo_label": {"narrative": None}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    first, second = read_labelled_posts(path)
    assert (first.narrative, first.stance, first.date) == ("a", "debunks", dt.date(2024, 11, 6))
    assert (second.narrative, second.stance, second.date) == (None, None, None)
    assert (first.batch, second.batch) == ("news", None)


@pytest.mark.parametrize(
    "line",
    [
        '{"label": {"narrative": null}}',
        '{"text": "t"}',
        '{"text": "t", "label": {"narrative": "a", "stance": "likes"}}',
        "nope",
    ],
)
def test_reader_names_the_bad_line(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"text": "ok", "label": {"narrative": null}}\n' + line + "\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        read_labelled_posts(path)


def test_shipped_tuning_set_is_separate_from_the_demo_posts() -> None:
    root = Path(__file__).resolve().parents[4]
    tuning = read_labelled_posts(root / "models/evalsets/election-2024-tuning.jsonl")
    demo = read_labelled_posts(root / "pipeline/demo_data/posts.jsonl")
    assert len(tuning) >= 140
    assert {p.text.lower() for p in tuning}.isdisjoint({p.text.lower() for p in demo})
    assert sum(p.narrative is None for p in tuning) >= 50
    assert {p.stance for p in tuning if p.narrative} == {"promotes", "debunks", "discusses"}
    # the news batch: hard news-style chatter, and on-narrative posts in news voice too
    news = [p for p in tuning if p.batch == "news"]
    assert sum(p.narrative is None for p in news) >= 80
    assert {p.stance for p in news if p.narrative} == {"promotes", "debunks", "discusses"}
    assert len({p.text.lower() for p in tuning}) == len(tuning)
