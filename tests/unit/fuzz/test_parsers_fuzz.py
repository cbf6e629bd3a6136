"""Fuzzing every parser a hostile record reaches: whatever the bytes, the result is a value that
can be written back out (a post whose hit round-trips through the hits topic) or an
`InvalidRecord` whose dead letter encodes, fits on a Kafka topic and reads back.

Bounded: each property runs a fixed number of examples (`FAST`), derandomised, so the suite stays
fast and a failure reproduces."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from connectors.articles import ArticleConnector
from connectors.base import RawItem
from connectors.csv_file import CsvConnector
from connectors.jsonl import JsonlConnector
from connectors.replay import normalise_item
from models.dead_letters import DeadLetter, RecordOrigin
from models.errors import InvalidRecord
from models.records import Hit, Post
from pipeline.agents.hits import parse_hit
from pipeline.agents.intake import max_record_bytes, parse_post
from pipeline.metrics import Metrics
from pipeline.settings import SpikeSettings
from pipeline.spikes.processor import SpikeProcessor, parse_spike_input
from pipeline.spikes.records import Spike, Tick
from tests.factories import make_hit, make_match
from tests.unit.fuzz.strategies import any_char, any_json, hostile_text, posts_records, to_bytes

FAST = settings(
    max_examples=150,
    deadline=None,  # the first example pays for imports; the shared CI machine is noisy
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KAFKA_MAX_MESSAGE_BYTES = 1_000_000
"""The smaller of the producer's ``max.request.size`` (1,048,576) and Faust's
``producer_max_request_size`` (1,000,000) defaults; the broker's ``message.max.bytes`` is
1,048,588 (the local stack does not change any of them)."""
MAX_CHARS = 50
ORIGIN = RecordOrigin(topic="posts", partition=1, offset=7, key="k")


def assert_dead_letter_fits(raw: bytes, refused: InvalidRecord) -> DeadLetter:
    dead = DeadLetter.of_invalid(raw, refused, ORIGIN, source="fuzz")
    encoded = dead.model_dump_json().encode("utf-8")
    assert len(encoded) < KAFKA_MAX_MESSAGE_BYTES
    again = DeadLetter.model_validate_json(encoded)
    assert again == dead
    assert again.original_size == len(raw)
    if not again.original_truncated:
        assert again.original() == raw
    else:
        assert raw.startswith(again.original())
    return again


def assert_post_travels(post: Post) -> None:
    """The post's hit goes onto the hits topic and the indexer parses it back."""
    hit = Hit.from_match(post, make_match())
    assert parse_hit(hit.model_dump_json().encode("utf-8")) == hit
    assert Post.model_validate_json(post.model_dump_json()) == post


@FAST
@given(posts_records)
def test_parse_post_yields_a_post_or_a_dead_letter(raw: bytes) -> None:
    try:
        post = parse_post(raw, max_post_chars=MAX_CHARS)
    except InvalidRecord as refused:
        assert_dead_letter_fits(raw, refused)
    else:
        assert 0 < len(post.text) <= MAX_CHARS
        assert_post_travels(post)


@FAST
@given(st.one_of(st.binary(max_size=300), any_json.map(to_bytes), posts_records))
def test_parse_hit_yields_a_hit_or_a_dead_letter(raw: bytes) -> None:
    try:
        hit = parse_hit(raw)
    except InvalidRecord as refused:
        assert_dead_letter_fits(raw, refused)
    else:
        assert parse_hit(hit.model_dump_json().encode()) == hit


def _mutated_hits() -> st.SearchStrategy[bytes]:
    """A real hit's JSON with one field replaced by anything."""
    base = json.loads(make_hit().model_dump_json())
    paths = [("id",), ("post", "text"), ("post", "created_at"), ("narrative", "severity")]
    paths += [("scores", "combined"), ("post", "raw"), ("matched_at",), ("embedding",)]

    def mutate(path: tuple[str, ...], value: object) -> bytes:
        doc = json.loads(json.dumps(base))
        target = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return to_bytes(doc)

    return st.builds(mutate, st.sampled_from(paths), any_json)


@FAST
@given(_mutated_hits())
def test_spike_parser_counts_a_hit_or_refuses_the_record(raw: bytes) -> None:
    async def publish(spike: Spike) -> None:
        raise AssertionError("no window closes here")

    processor = SpikeProcessor(SpikeSettings(), Metrics(CollectorRegistry()), publish, None)
    try:
        parsed = parse_spike_input(raw)
    except InvalidRecord as refused:
        assert_dead_letter_fits(raw, refused)
    else:
        assert isinstance(parsed, Hit | Tick)
        if isinstance(parsed, Hit):  # whatever parses is counted without raising
            assert processor.on_hit(parsed) is True


NOW = datetime(2024, 11, 6, tzinfo=UTC)


def _check_normalised(connector: object, item: RawItem) -> None:
    try:
        posts = normalise_item(connector, item, MAX_CHARS)  # type: ignore[arg-type]
    except InvalidRecord as refused:
        assert_dead_letter_fits(item.original_bytes(), refused)
    else:
        for post in posts:
            assert_post_travels(post)


@FAST
@given(posts_records)
def test_jsonl_normaliser_yields_posts_that_travel_or_a_dead_letter(raw: bytes) -> None:
    connector = JsonlConnector([], source="fuzz", clock=lambda: NOW)
    _check_normalised(connector, RawItem(data=raw, origin="f.jsonl:1"))


# A CSV file is read with ``surrogateescape``: a cell holds any text, or undecodable bytes as
# U+DC80..U+DCFF (never another lone surrogate).
csv_cells = st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")) | st.text(
    max_size=40
)
csv_columns = ["id", "text", "platform", "created_at", "author.handle", "engagement.likes"]


@FAST
@given(
    st.dictionaries(
        st.sampled_from([*csv_columns, "references.reply_to", "x"]), csv_cells | st.none()
    )
)
def test_csv_normaliser_yields_posts_that_travel_or_a_dead_letter(
    row: dict[str, str | None],
) -> None:
    connector = CsvConnector([], source="fuzz", platform="x", clock=lambda: NOW)
    _check_normalised(connector, RawItem(data=row, origin="f.csv:2"))


@FAST
@given(
    st.binary(max_size=400)
    | st.text(any_char, max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_article_normaliser_yields_posts_that_travel_or_a_dead_letter(raw: bytes) -> None:
    connector = ArticleConnector([], source="fuzz", clock=lambda: NOW)
    _check_normalised(connector, RawItem(data=raw, origin="a.html", modified_at=NOW))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    size=st.sampled_from([0, 1, 262_143, 262_144, 262_145, 999_999, 1_048_576, 3_000_000]),
    filler=st.binary(min_size=1, max_size=1),
    detail=st.text(any_char, max_size=5000),
    source=hostile_text,
    key=st.text(any_char, max_size=50) | st.just("k" * 2_000_000),
)
def test_dead_letter_always_encodes_and_fits_on_the_topic(
    size: int, filler: bytes, detail: str, source: str, key: str
) -> None:
    raw = filler * size
    refused = InvalidRecord("unexpected_error", detail, source=source or None)
    dead = DeadLetter.of_invalid(raw, refused, ORIGIN.model_copy(update={"key": key}), source="f")
    encoded = dead.model_dump_json().encode("utf-8")
    assert len(encoded) + len((dead.key or "").encode()) < KAFKA_MAX_MESSAGE_BYTES
    again = DeadLetter.model_validate_json(encoded)
    assert again.original_truncated == (size > DeadLetter.ORIGINAL_MAX_BYTES)
    assert again.original_size == size
    assert raw.startswith(again.original())


def test_a_truncated_dead_letter_names_the_whole_originals_size_and_hash() -> None:
    import hashlib

    raw = b"{" * 2_000_000
    with pytest.raises(InvalidRecord) as caught:
        parse_post(raw, max_post_chars=MAX_CHARS)
    dead = assert_dead_letter_fits(raw, caught.value)
    assert dead.original_truncated
    assert dead.original() == raw[: DeadLetter.ORIGINAL_MAX_BYTES]
    assert (dead.original_size, dead.original_sha256) == (
        len(raw),
        hashlib.sha256(raw).hexdigest(),
    )


GOOD = {"id": "x:1", "platform": "x", "source": "s", "created_at": "2024-11-06T00:00:00Z"}


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({**GOOD, "text": "a" * MAX_CHARS}, None),
        ({**GOOD, "text": "a" * (MAX_CHARS + 1)}, "oversized"),
        ({**GOOD, "text": "\x00" * 10}, "missing_text"),
        ({**GOOD, "text": "ok", "raw": {"k": "\ud800"}}, "invalid_utf8"),
        ({**GOOD, "text": "\ud800"}, "schema_error"),
        ({**GOOD, "text": "ok", "created_at": "9999-12-31T23:59:59-23:59"}, "schema_error"),
        ({**GOOD, "text": "ok", "author": {"followers": 2**63}}, "schema_error"),
        ({**GOOD, "text": "ok", "raw": {"a": json.loads("[" * 60 + "]" * 60)}}, None),
        ({**GOOD, "text": "ok", "raw": {"a": json.loads("[" * 70 + "]" * 70)}}, "schema_error"),
    ],
)
def test_limits_are_enforced_at_intake(record: dict[str, object], reason: str | None) -> None:
    raw = to_bytes(record)
    if reason is None:
        assert_post_travels(parse_post(raw, max_post_chars=MAX_CHARS))
        return
    with pytest.raises(InvalidRecord) as caught:
        parse_post(raw, max_post_chars=MAX_CHARS)
    assert caught.value.reason == reason
    assert_dead_letter_fits(raw, caught.value)


@pytest.mark.parametrize("extra", [0, 1])
def test_records_at_the_byte_limit(extra: int) -> None:
    limit = max_record_bytes(MAX_CHARS)
    head = to_bytes({**GOOD, "text": "ok", "raw": {"pad": ""}})
    raw = head[:-3] + b" " * (limit + extra - len(head)) + head[-3:]
    assert len(raw) == limit + extra
    try:
        parse_post(raw, max_post_chars=MAX_CHARS)
    except InvalidRecord as refused:
        assert extra == 1 and refused.reason == "oversized"
    else:
        assert extra == 0


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(posts_records, min_size=1, max_size=24))
def test_the_batch_runner_survives_every_hostile_record(values: list[bytes]) -> None:
    """Hostile records through the real runner loop: each ends as an output or a dead letter,
    and the worker is never stopped."""
    from functools import partial

    from pipeline.runner import BatchRunner, DeadLetterWriter, Output, StepResult
    from tests.unit.runner.fakes import FakeApp, FakeStream, FakeTopic, events

    journal: list[str] = []
    out, dlq = FakeTopic("out", journal), FakeTopic("dlq", journal)

    async def one_hit_each(batch):  # type: ignore[no-untyped-def]
        hits = [Hit.from_match(r.value, make_match()) for r in batch]
        return StepResult(
            outputs=[Output(h.id.encode(), h.model_dump_json().encode()) for h in hits]
        )

    runner: BatchRunner[Post] = BatchRunner(
        name="fuzz",
        parse=partial(parse_post, max_post_chars=MAX_CHARS),
        step=one_hit_each,
        dead_letters=DeadLetterWriter(dlq, Metrics(CollectorRegistry())),
        source="unknown",
        output=out,
    )
    app = FakeApp()
    batches = [events("posts", values[i : i + 8]) for i in range(0, len(values), 8)]
    asyncio.run(runner.run(app, FakeStream(batches, journal), batch_size=8, within_s=0.1))
    assert app.crashed == []
    assert len(out.sent) + len(dlq.sent) == len(values)
    assert journal.count("ack 0") == len(batches)
