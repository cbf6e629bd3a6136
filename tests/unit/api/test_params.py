"""Pure parameter parsing: times, lists, filters and cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.api.params import (
    ParamError,
    build_filters,
    check_narratives,
    decode_cursor,
    encode_cursor,
    parse_time,
    split_values,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", datetime(2025, 3, 9, 12, 0, tzinfo=UTC)),
        ("7d", datetime(2025, 3, 3, 12, 0, tzinfo=UTC)),
        ("30m", datetime(2025, 3, 10, 11, 30, tzinfo=UTC)),
        ("2w", datetime(2025, 2, 24, 12, 0, tzinfo=UTC)),
        ("2025-03-01", datetime(2025, 3, 1, tzinfo=UTC)),
        ("2025-03-01T10:00:00Z", datetime(2025, 3, 1, 10, tzinfo=UTC)),
        ("2025-03-01T10:00:00+02:00", datetime(2025, 3, 1, 8, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text, "since", NOW) == expected


def test_parse_time_names_the_parameter() -> None:
    with pytest.raises(ParamError) as info:
        parse_time("last tuesday", "until", NOW)
    assert info.value.parameter == "until"


def test_split_values_accepts_repeats_and_commas() -> None:
    assert split_values(["a,b", " c ", "a", ""], "platform") == ("a", "b", "c")
    with pytest.raises(ParamError):
        split_values([",".join(str(i) for i in range(60))], "platform")


def test_build_filters_validates() -> None:
    filters = build_filters(q="  votes ", platform=["x"], since="24h", now=NOW)
    assert filters.q == "votes"
    assert filters.since == datetime(2025, 3, 9, 12, tzinfo=UTC)
    with pytest.raises(ParamError, match="since"):
        build_filters(since="1h", until="2d", now=NOW)
    with pytest.raises(ParamError, match="review"):
        build_filters(review=["spam"])
    with pytest.raises(ParamError, match="q"):
        build_filters(q="x" * 600)


def test_cursor_round_trip_and_tamper_checks() -> None:
    cursor = encode_cursor("newest", [1741000000000, "bsky:1:n"])
    assert decode_cursor(cursor, "newest") == [1741000000000, "bsky:1:n"]
    with pytest.raises(ParamError, match="sort=newest"):
        decode_cursor(cursor, "oldest")
    for bad in ("!!", "e30", encode_cursor("newest", [{"x": 1}])):  # e30 is "{}"
        with pytest.raises(ParamError) as info:
            decode_cursor(bad, "newest")
        assert info.value.parameter == "cursor"


@pytest.mark.parametrize(
    ("values", "parameter"),
    [
        ({"severity": ["urgent"]}, "severity"),
        ({"stance": ["promotes,maybe"]}, "stance"),
        ({"verdict": ["true"]}, "verdict"),
        ({"review": ["spam"]}, "review"),
        ({"platform": ["blue sky"]}, "platform"),
        ({"narrative": ["Not A Slug!"]}, "narrative"),
        ({"language": ["english please"]}, "language"),
        ({"min_score": 2.0}, "min_score"),
        ({"min_score": -0.1}, "min_score"),
        ({"since": "2025-13-45"}, "since"),
    ],
)
def test_unknown_or_out_of_range_values_name_their_parameter(
    values: dict[str, object], parameter: str
) -> None:
    with pytest.raises(ParamError) as info:
        build_filters(**values)  # type: ignore[arg-type]
    assert info.value.parameter == parameter
    assert info.value.message


def test_known_values_pass_and_keep_their_order() -> None:
    filters = build_filters(
        severity=["critical,high"],
        stance=["debunks"],
        verdict=["misleading"],
        review=["correct_no_action"],
        platform=["bluesky", "x"],
        narrative=["ballot-mules-mass-fraud"],
        language=["en", "pt-BR"],
        post=["bsky:1"],
        min_score=1.0,
    )
    assert filters.severity == ("critical", "high")
    assert filters.review == ("correct_no_action",)
    assert filters.platform == ("bluesky", "x")
    assert filters.post == ("bsky:1",)


def test_check_narratives_names_the_unknown_id() -> None:
    check_narratives(build_filters(narrative=["n-rigged"]), {"n-rigged", "n-dead-voters"})
    filters = build_filters(narrative=["n-rigged", "nope"])
    with pytest.raises(ParamError) as info:
        check_narratives(filters, {"n-rigged"})
    assert info.value.parameter == "narrative"
    assert "'nope'" in info.value.message
