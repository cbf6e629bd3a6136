"""The narratives view: catalog joined with hit counts (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from models.catalog import Catalog, Narrative
from pipeline.api.narratives import narrative_rows, zero_trend

NOW = datetime(2025, 3, 14, 15, tzinfo=UTC)
CATALOG = Catalog(
    name="c",
    narratives=(
        Narrative(id="n-quiet", title="Quiet", exemplars=("x",)),
        Narrative(id="n-loud", title="Loud", severity="high", exemplars=("y",)),
    ),
)


def test_zero_trend_ends_today() -> None:
    trend = zero_trend(3, NOW)
    assert trend == [
        {"day": "2025-03-12", "count": 0},
        {"day": "2025-03-13", "count": 0},
        {"day": "2025-03-14", "count": 0},
    ]


def test_rows_join_counts_keep_unseen_and_retired_narratives_most_hits_first() -> None:
    trend = [{"day": "2025-03-14", "count": 4}]
    counts = {
        "n-loud": {
            "count": 4,
            "title": "Loud",
            "severity": "high",
            "last_seen": "t",
            "trend": trend,
        },
        "n-retired": {"count": 1, "title": "Old", "severity": "low", "last_seen": "u", "trend": []},
    }
    body = narrative_rows(CATALOG, counts, 3, NOW)
    rows = body["narratives"]
    assert [r["id"] for r in rows] == ["n-loud", "n-retired", "n-quiet"]
    assert rows[0]["trend"] == trend and rows[0]["severity"] == "high" and rows[0]["in_catalog"]
    assert rows[1]["in_catalog"] is False and rows[1]["status"] == "unknown"
    assert rows[1]["trend"] == zero_trend(3, NOW)
    assert rows[2]["count"] == 0 and rows[2]["last_seen"] is None
    assert set(counts) == {"n-loud", "n-retired"}  # the caller's dict is not consumed
    assert body["catalog"] == "c"
